// tessera materials: micrographs. synth (micrographs of known phases with their masks and weak
// labels), evaluate (phase maps against their truth masks: IoU per phase,
// mIoU, pixel accuracy, phase-fraction error). The weakly supervised segmenter and the property
// predictor are to come (issue 18).
#include <iostream>

#include "commands.hpp"
#include "shared_options.hpp"
#include "tessera/data/micrograph_folder.hpp"
#include "tessera/materials/mask_evaluation.hpp"

namespace tessera::app {

using namespace tessera::materials;

namespace {

void add_synth(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "synth", "Generate micrographs of known phases with masks, presence tags and specimens");
  auto o = std::make_shared<data::MicrographFolder>();
  cmd->add_option("--output", o->folder, "folder for images/, labels/ and the tables")->required();
  cmd->add_option("--specimens", o->specimens, "specimens, each its own mix of phases")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--images", o->images_per_specimen, "micrographs per specimen")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  add_shared_options(cmd, {.seed = &o->seed});
  cmd->callback([o] {
    data::write_micrograph_folder(*o);
    std::cout << o->specimens * o->images_per_specimen << " synthetic micrographs of "
              << o->specimens << " specimens -> " << o->folder
              << " (images/, labels/, tags_image.csv, tags_tiles.csv, metadata.csv)\n";
  });
}

void add_evaluate(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "evaluate", "Score phase maps against truth masks: IoU per phase, mIoU, phase fractions");
  auto o = std::make_shared<MaskEvaluation>();
  cmd->add_option("--prediction", o->prediction,
                  "folder of predicted label images (8-bit, label = phase index)")
      ->required();
  cmd->add_option("--truth", o->truth, "folder of truth label images with the same names")
      ->required();
  cmd->add_option("--phases", o->phases, "names of labels 0, 1, ... (default: the numbers)")
      ->delimiter(',');
  cmd->add_option("--ignore", o->ignore, "a truth label left out of the scores")
      ->check(CLI::Range(0, 255));
  cmd->add_option("--output", o->output, "scores to write (.json)")->required();
  cmd->add_option("--markdown", o->markdown, "table to write (default: --output with .md)");
  cmd->callback([o] {
    const MaskEvaluationReport r = evaluate_masks_to_files(*o);
    std::cout << r.markdown << "\nscores -> " << r.files[0] << ", " << r.files[1] << "\n";
  });
}

}  // namespace

void add_materials_command(CLI::App& app) {
  auto* group = app.add_subcommand(
      "materials",
      "Micrographs: phase maps and their scores (the weakly supervised segmenter "
      "and the property predictor are to come)");
  group->require_subcommand(1);
  add_synth(group);
  add_evaluate(group);
}

}  // namespace tessera::app
