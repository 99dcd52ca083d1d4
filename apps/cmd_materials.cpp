// tessera materials: micrographs. synth (micrographs of known phases with their masks and weak
// labels), train-segmenter and segment (phase maps from presence tags), train-property and
// predict (a specimen's property or processing condition with intervals and evidence maps),
// evaluate (phase maps against truth masks, or predictions against a table).
#include <cmath>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "shared_options.hpp"
#include "tessera/data/micrograph_folder.hpp"
#include "tessera/materials/mask_evaluation.hpp"
#include "tessera/materials/property_evaluation.hpp"
#include "tessera/materials/property_workflow.hpp"
#include "tessera/materials/workflow.hpp"

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
  // A pair on the command line, fields in the library.
  auto size = std::make_shared<std::vector<int>>(std::vector<int>{o->width, o->height});
  cmd->add_option("--size", *size, "width,height of each micrograph")
      ->delimiter(',')
      ->expected(2)
      ->check(CLI::Range(32, 8192))
      ->capture_default_str();
  add_shared_options(cmd, {.seed = &o->seed});
  cmd->callback([o, size] {
    o->width = (*size)[0], o->height = (*size)[1];
    data::write_micrograph_folder(*o);
    std::cout << o->specimens * o->images_per_specimen << " synthetic micrographs of "
              << o->specimens << " specimens -> " << o->folder
              << " (images/, labels/, tags_image.csv, tags_tiles.csv, metadata.csv)\n";
  });
}

// --images, --metadata, --um-per-px, --crop-bottom: the micrographs and what is known of them.
void add_image_inputs(CLI::App* cmd, ImageInputs& in) {
  cmd->add_option("--images", in.images, "folder of micrographs (TIFF, PNG, JPEG; 8 or 16 bit)")
      ->required();
  cmd->add_option("--metadata", in.metadata,
                  "table of the images' pixel sizes (um_per_px) and specimens (specimen)");
  cmd->add_option("--um-per-px", in.um_per_px, "pixel size of every image, micrometres")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--crop-bottom", in.crop_bottom,
                  "rows of data bar to cut from the bottom (default: detected)")
      ->check(CLI::Range(0, 100000));
}

// --steps, --patch, --batch, --channels, --seed and the run's options of a network's training.
template <class TrainOptions>
void add_training_options(CLI::App* cmd, TrainOptions& train) {
  cmd->add_option("--steps", train.steps, "training steps")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  add_shared_options(cmd, {.patch = &train.patch,
                           .batch = &train.batch,
                           .channels = &train.channels,
                           .seed = &train.seed,
                           .run = &train.run,
                           .precision = &train.precision,
                           .device = &train.run.device});
}

void add_train_segmenter(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "train-segmenter", "Train the phase segmenter on presence tags per image or tile only");
  auto o = std::make_shared<SegmenterTraining>();
  add_image_inputs(cmd, o->inputs);
  cmd->add_option("--tags", o->tags, "presence tags: name[,y0,y1,x0,x1],has_<phase>,... (0 or 1)")
      ->required();
  cmd->add_option("--output", o->output, "model to write (.h5)")->required();
  cmd->add_option("--target-um-per-px", o->target_um_per_px,
                  "common pixel size (default: the median of the images')")
      ->check(CLI::PositiveNumber);
  auto method = std::make_shared<std::string>("network");
  cmd->add_option("--method", *method,
                  "network (the weakly supervised U-Net), or a classical baseline on the same "
                  "tags: forest (pixel random forest, as Trainable Weka / ilastik), otsu, kmeans")
      ->check(CLI::IsMember({"network", "forest", "otsu", "kmeans"}))
      ->capture_default_str();
  cmd->add_option("--refine-steps", o->train.refine_steps,
                  "steps of a second U-Net trained on the first's pseudo-masks (each pixel held "
                  "to its region's tagged phases); 0: none")
      ->check(CLI::Range(0, 10000000))
      ->capture_default_str();
  cmd->add_option("--background", o->background,
                  "a phase that is whatever the others are not (its tags are not learnt)");
  cmd->add_option("--sharpness", o->train.sharpness,
                  "pooling of the score maps: 0 their mean, r > 0 log-sum-exp")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  add_training_options(cmd, o->train);
  cmd->callback([o, method] {
    if (*method != "network") {
      const ClassicalSegmenter s = train_classical_from_files(*o, *method);
      std::cout << s.method << " phase segmenter (" << s.phases.size() << " phases) -> "
                << o->output << "\n";
      return;
    }
    o->train.progress = [](int step, float loss) {
      std::cout << "step " << step << "  loss " << loss << "\n";
    };
    const PhaseSegmenter s = train_segmenter_from_files(*o);
    std::cout << "phase segmenter (" << s.phases.size() << " phases, " << s.steps << " steps) -> "
              << o->output << "\n";
    std::cerr << device_note(o->train.run.device);
  });
}

void add_segment(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "segment", "Phase maps, overlays and phase fractions of a folder of micrographs");
  auto o = std::make_shared<PhaseSegmentation>();
  cmd->add_option("--model", o->model, "model from train-segmenter (any --method)")
      ->required()
      ->check(CLI::ExistingFile);
  add_image_inputs(cmd, o->inputs);
  cmd->add_option("--output", o->output,
                  "folder for <image>.png (labels), <image>_overlay.png, phase_fractions.csv")
      ->required();
  cmd->add_flag("--whole", o->segment.whole, "one pass per image instead of tiles");
  add_shared_options(cmd, {.precision = &o->segment.precision, .device = &o->segment.device});
  cmd->callback([o] {
    const SegmentationReport r = segment_folder(*o);
    std::cout << r.fractions_csv << r.images.size() << " phase maps -> " << o->output << "\n";
    std::cerr << device_note(o->segment.device);
  });
}

void add_train_property(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "train-property",
      "Train a predictor of a specimen's property or processing condition from its micrographs");
  auto o = std::make_shared<PropertyTraining>();
  add_image_inputs(cmd, o->inputs);
  cmd->add_option("--table", o->table,
                  "one row per image: its name, the target, its specimen (and um_per_px)")
      ->required();
  cmd->add_option("--target", o->target, "the table's column to predict")->required();
  cmd->add_option("--group", o->group,
                  "the table's specimen column (default: specimen, sample_key or sample)");
  const std::map<std::string, TargetKind> kinds{{"auto", TargetKind::automatic},
                                                {"number", TargetKind::number},
                                                {"category", TargetKind::category}};
  cmd->add_option("--kind", o->kind,
                  "number (regression) or category (classification); auto: a category when a "
                  "value is not a number or there are two values")
      ->transform(CLI::CheckedTransformer(kinds, CLI::ignore_case))
      ->default_str("auto");
  cmd->add_option("--output", o->output, "model to write (.h5)")->required();
  cmd->add_option("--target-um-per-px", o->target_um_per_px,
                  "common pixel size (default: the median of the images')")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--method", o->train.method,
                  "network (score maps, Grad-CAM evidence), or the classical baseline forest (a "
                  "random forest on texture features: GLCM, LBP, filter bank)")
      ->check(CLI::IsMember({"network", "forest"}))
      ->capture_default_str();
  cmd->add_option("--coverage", o->train.coverage, "of the intervals, set on held-out specimens")
      ->check(CLI::Range(0.5, 0.99))
      ->capture_default_str();
  add_training_options(cmd, o->train);
  cmd->callback([o] {
    o->train.progress = [](int step, float loss) {
      std::cout << "step " << step << "  loss " << loss << "\n";
    };
    const PropertyModel m = train_property_from_files(*o);
    const PropertyIntervals& i = m.intervals;
    std::cout << m.method << (m.target.categorical() ? " classifier of " : " regressor of ")
              << m.target.name << " ("
              << (m.method == "forest" ? std::string("texture features")
                                       : std::to_string(m.steps) + " steps")
              << "); " << int(std::lround(i.coverage * 100)) << "% intervals set on "
              << (i.held_out.empty() ? std::string("the training images (too few specimens to hold "
                                                   "some out)")
                                     : std::to_string(i.held_out.size()) + " held-out specimens")
              << " -> " << o->output << "\n";
    if (m.method != "forest") std::cerr << device_note(o->train.run.device);
  });
}

void add_predict(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "predict", "Predictions with intervals per image and specimen, and evidence maps");
  auto o = std::make_shared<PropertyPrediction>();
  cmd->add_option("--model", o->model, "model from train-property")
      ->required()
      ->check(CLI::ExistingFile);
  add_image_inputs(cmd, o->inputs);
  cmd->add_option("--group", o->group,
                  "the metadata's specimen column (default: specimen, sample_key or sample)");
  cmd->add_option("--output", o->output,
                  "folder for predictions.csv, specimens.csv and <image>_evidence.png")
      ->required();
  add_shared_options(cmd, {.precision = &o->precision, .device = &o->device});
  cmd->callback([o] {
    const PredictionReport r = predict_folder(*o);
    std::cout << r.specimens_csv << r.images.size() << " images predicted -> " << o->output << "\n";
    std::cerr << device_note(o->device);
  });
}

// Phase maps against masks (--prediction a folder), or predictions against a table (a file).
void add_evaluate(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "evaluate",
      "Score phase maps against truth masks (IoU per phase, mIoU, phase fractions) or predicted "
      "properties against a table (R2, MAE, ROC-AUC, macro-F1 per specimen)");
  auto o = std::make_shared<MaskEvaluation>();
  auto p = std::make_shared<PropertyEvaluation>();
  cmd->add_option("--prediction", o->prediction,
                  "folder of predicted label images (8-bit, label = phase index), or the "
                  "predictions.csv of predict")
      ->required();
  cmd->add_option("--truth", o->truth,
                  "folder of truth label images with the same names, or the table of the truth")
      ->required();
  cmd->add_option("--phases", o->phases, "names of labels 0, 1, ... (default: the numbers)")
      ->delimiter(',');
  cmd->add_option("--ignore", o->ignore, "a truth label left out of the scores")
      ->check(CLI::Range(0, 255));
  cmd->add_option("--target", p->target, "predictions: the truth table's column");
  cmd->add_option("--group", p->group,
                  "predictions: the truth table's specimen column (default: specimen, "
                  "sample_key or sample)");
  cmd->add_option("--output", o->output, "scores to write (.json)")->required();
  cmd->add_option("--markdown", o->markdown, "table to write (default: --output with .md)");
  cmd->callback([o, p] {
    if (!std::filesystem::is_regular_file(o->prediction)) {
      const MaskEvaluationReport r = evaluate_masks_to_files(*o);
      std::cout << r.markdown << "\nscores -> " << r.files[0] << ", " << r.files[1] << "\n";
      return;
    }
    p->predictions = o->prediction, p->truth = o->truth;
    p->output = o->output, p->markdown = o->markdown;
    const PropertyEvaluationReport r = evaluate_property_to_files(*p);
    std::cout << r.markdown << "\nscores -> " << r.files[0] << ", " << r.files[1] << "\n";
  });
}

}  // namespace

void add_materials_command(CLI::App& app) {
  auto* group = app.add_subcommand(
      "materials",
      "Micrographs: phase maps from presence tags, properties with evidence maps, and their "
      "scores");
  group->require_subcommand(1);
  add_synth(group);
  add_train_segmenter(group);
  add_segment(group);
  add_train_property(group);
  add_predict(group);
  add_evaluate(group);
}

}  // namespace tessera::app
