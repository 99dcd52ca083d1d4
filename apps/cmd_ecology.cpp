// tessera ecology: insects on trap photographs. synth (generated photos with boxes), train
// (centre-heatmap detector), detect (tiled; COCO results, CSV, annotated JPEGs), count (per
// photo and class, per night and trap), evaluate (mAP, precision / recall, count error).
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "errors.hpp"
#include "options.hpp"
#include "shared_options.hpp"
#include "tessera/data/trap_photo_folder.hpp"
#include "tessera/ecology/workflow.hpp"

namespace tessera::app {

using namespace tessera::ecology;
namespace fs = std::filesystem;

namespace {

// `--model` to detect now, or `--detections` from an earlier run: exactly one.
void check_one_source(const char* command, const PhotoDetection& d, const std::string& detections) {
  if (d.model.empty() == detections.empty())
    throw std::invalid_argument(std::string(command) +
                                " needs --model (to detect) or --detections (from detect), "
                                "not both");
}

// The options of every command that detects: the photos, the tiles and the decoding.
void add_detect_options(CLI::App* c, PhotoDetection& d) {
  c->add_option("--images", d.images,
                "folder of photos (searched recursively), one photo, or an Ultralytics data.yaml "
                "(its val split)")
      ->required();
  add_bytes_option(c, "--max-memory", d.detect.tile.max_memory,
                   "memory budget for the network's tiles, e.g. 2G");
  c->add_option("--max-detections", d.detect.decode.max_detections, "per photo, the best scoring")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  c->add_option("--min-score", d.detect.decode.min_score, "scores below are never detections")
      ->check(CLI::Range(0.001, 0.999))
      ->capture_default_str();
  c->add_option("--score-threshold", d.score_threshold,
                "detections counted and drawn from this score (default: the model's, or "
                "the detect run's)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_flag("--whole", d.detect.whole, "run each photo in one piece instead of by tiles");
  add_shared_options(c, {.precision = &d.precision, .device = &d.device});
}

// The device note of a command that ran the network (not one given --detections).
void note_device(const PhotoDetection& d) {
  if (!d.model.empty()) std::cerr << device_note(d.device);
}

// The detecting commands' settings where they differ from the library's defaults: a budget
// the help can show, a line per photo.
PhotoDetection detection_defaults() {
  PhotoDetection d;
  d.detect.tile.max_memory = std::size_t(1) << 30;
  d.log = &std::cout;
  return d;
}

void add_synth(CLI::App* group) {
  auto* cmd = group->add_subcommand("synth", "Generate trap photographs with true boxes (COCO)");
  auto o = std::make_shared<data::TrapPhotoFolder>();
  // Pairs on the command line, fields in the library.
  auto size = std::make_shared<std::vector<int>>(std::vector<int>{o->width, o->height});
  auto insect_size =
      std::make_shared<std::vector<double>>(o->insect_size.begin(), o->insect_size.end());
  cmd->add_option("--output", o->folder, "folder for the photos and annotations.json")->required();
  cmd->add_option("--photos", o->photos, "how many (two traps, two photos a night each)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--size", *size, "width,height")
      ->delimiter(',')
      ->expected(2)
      ->check(CLI::Range(64, 20000))
      ->capture_default_str();
  cmd->add_option("--insects", o->insects, "insects per photo")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--insect-size", *insect_size, "smallest,largest insect length, px")
      ->delimiter(',')
      ->expected(2)
      ->check(CLI::Range(4.0, 1000.0))
      ->capture_default_str();
  cmd->add_option("--kinds", o->kinds, "insects drawn: moth, fly, beetle")
      ->delimiter(',')
      ->check(CLI::IsMember({"moth", "fly", "beetle"}))
      ->capture_default_str();
  add_shared_options(cmd, {.seed = &o->seed});
  cmd->callback([o, size, insect_size] {
    o->width = (*size)[0], o->height = (*size)[1];
    o->insect_size = {(*insect_size)[0], (*insect_size)[1]};
    const Dataset d = data::write_trap_photo_folder(*o);
    std::cout << o->photos << " synthetic trap photos with " << d.annotations.size()
              << " insects -> " << (fs::path(o->folder) / "annotations.json").string()
              << ", labels/ (YOLO)\n";
  });
}

void add_train(CLI::App* group) {
  auto* cmd = group->add_subcommand("train", "Train the insect detector on annotated photos");
  auto o = std::make_shared<DetectorTraining>();
  auto training = std::make_shared<TrainingOptions>();
  DetectorTrainOptions& t = o->train;
  cmd->add_option("--images", o->images, "folder of photos, or an Ultralytics data.yaml")
      ->required();
  cmd->add_option("--annotations", o->annotations,
                  "COCO JSON, a folder of YOLO .txt labels with classes.txt, or an Ultralytics "
                  "data.yaml (its train split; labels/ beside images/)");
  cmd->add_option("--output", o->output, "checkpoint to write (.h5)")->required();
  cmd->add_option("--steps", t.steps, "training steps")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  add_shared_options(cmd, {.patch = &t.patch,
                           .batch = &t.batch,
                           .channels = &t.channels,
                           .seed = &t.seed,
                           .training = training.get(),
                           .run = &t.run,
                           .precision = &t.precision,
                           .device = &t.run.device});
  cmd->add_option("--calibration-photos", t.calibration_photos,
                  "training photos the count threshold is chosen on")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->callback([o, training] {
    o->train.optimizer = training->optimizer;
    o->train.optimizer_settings = training->settings;
    o->train.lr = training->lr;
    o->log = &std::cout;
    const Detector d = train_from_folder(*o);
    std::cout << "score threshold for counts " << d.score_threshold << "\nmodel -> " << o->output
              << "\n";
    std::cerr << device_note(o->train.run.device);
  });
}

void add_detect(CLI::App* group) {
  auto* cmd =
      group->add_subcommand("detect", "Boxes on photos, by tiles: COCO results, CSV, JPEGs");
  auto o = std::make_shared<FolderDetection>(FolderDetection{.detection = detection_defaults()});
  cmd->add_option("--model", o->detection.model, "checkpoint from ecology train")
      ->required()
      ->check(CLI::ExistingFile);
  add_detect_options(cmd, o->detection);
  cmd->add_option("--annotations", o->detection.annotations,
                  "take the photos and their image ids from these annotations");
  cmd->add_option("--output", o->output,
                  "folder for detections.json (COCO results: every box above --min-score), "
                  "detections.csv (the boxes counted: score >= the threshold), photos.json and "
                  "annotated/")
      ->required();
  cmd->add_flag("!--no-annotated", o->annotated, "do not draw the boxes on copies of the photos");
  cmd->callback([o] {
    const FolderDetectionReport r = detect_folder(*o);
    std::cout << r.boxes << " boxes on " << r.photos << " photos -> "
              << (fs::path(o->output) / "detections.json").string()
              << ", detections.csv, photos.json" << (o->annotated ? ", annotated/" : "") << "\n";
    note_device(o->detection);
  });
}

void add_count(CLI::App* group) {
  auto* cmd = group->add_subcommand("count", "Insects per photo and class, and per night and trap");
  auto o = std::make_shared<PhotoCounting>(PhotoCounting{.detection = detection_defaults()});
  cmd->add_option("--model", o->detection.model, "detect with this checkpoint")
      ->check(CLI::ExistingFile);
  cmd->add_option("--detections", o->detections,
                  "or count what detect wrote to this folder (detections.json, photos.json)");
  add_detect_options(cmd, o->detection);
  cmd->add_option("--output", o->output, "folder for counts_per_image.csv and counts_per_night.csv")
      ->required();
  cmd->add_option("--name-pattern", o->name_pattern,
                  "trap and time from file names, e.g. '{trap}/{yyyy}{mm}{dd}_{HH}{MM}*'");
  cmd->add_option("--metadata", o->metadata, "CSV with file, trap and time columns");
  cmd->add_flag("!--no-exif", o->exif, "do not read capture times from EXIF");
  cmd->callback([o] {
    check_one_source("count", o->detection, o->detections);
    o->warnings = &std::cerr;
    const CountReport r = count_photos(*o);
    std::cout << to_csv(r.per_night) << "counts of " << r.photos
              << " photos at score >= " << r.score_threshold << " -> "
              << (fs::path(o->output) / "counts_per_image.csv").string()
              << ", counts_per_night.csv (" << r.per_night.size()
              << " night / trap / category rows)\n";
    note_device(o->detection);
  });
}

void add_evaluate(CLI::App* group) {
  auto* cmd = group->add_subcommand("evaluate", "mAP, precision / recall and count error as JSON");
  auto o = std::make_shared<DetectionScoring>(DetectionScoring{.detection = detection_defaults()});
  cmd->add_option("--annotations", o->detection.annotations,
                  "the truth: COCO JSON, YOLO labels or a data.yaml (its val split; or give the "
                  "data.yaml as --images)");
  cmd->add_option("--model", o->detection.model, "detect with this checkpoint")
      ->check(CLI::ExistingFile);
  cmd->add_option("--detections", o->detections,
                  "or score COCO results JSON (detect's detections.json, joined to the truth by "
                  "file name through the photos.json beside it)");
  add_detect_options(cmd, o->detection);
  cmd->add_option("--output", o->output,
                  "write the scores here as JSON, with <name>_per_category.csv and "
                  "<name>_pr_curve.png (precision-recall curves) beside it");
  cmd->callback([o] {
    check_one_source("evaluate", o->detection, o->detections);
    std::cout << score_photos(*o).dump(2) << "\n";
    note_device(o->detection);
  });
}

}  // namespace

void add_ecology_command(CLI::App& app) {
  auto* group = app.add_subcommand("ecology", "Detecting and counting insects in trap photographs");
  group->require_subcommand(1);
  add_synth(group);
  add_train(group);
  add_detect(group);
  add_count(group);
  add_evaluate(group);
}

}  // namespace tessera::app
