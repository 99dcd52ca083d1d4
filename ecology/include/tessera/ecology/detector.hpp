#pragma once
// The insect detector: a 2D U-Net from a photo (BGR, normalised with the training photos'
// statistics) to, per pixel, one heat logit per class and the log width and height of the box
// centred there (centre_targets.hpp). Why this design: trap insects are many, small (10-100 px)
// and seldom overlap, which is where objects-as-points detectors do well without anchors to
// tune; and an output at the input's resolution lets the exact tiled executor run photos of any
// size in bounded memory, with the same detections as a whole-photo run.
//
//   Detector d = train_detector(photos, categories, {.steps = 2000});
//   save_detector("insects.h5", d);
//   auto boxes = detect_photo(d, cv::imread("trap.jpg"), /*image_id=*/1, {});
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/ecology/annotations.hpp"
#include "tessera/ecology/centre_decoding.hpp"
#include "tessera/ecology/centre_targets.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/tile/tiled.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::ecology {

struct TrainingPhoto {
  cv::Mat bgr;                   // 8-bit, 3 channels
  std::vector<CentreBox> boxes;  // pixels of the photo, class indices
  std::string name{};            // for messages
};

struct DetectorTrainOptions {
  int64_t patch = 256;  // crop edge (a multiple of 2^(levels - 1)); no photo may be smaller
  int64_t batch = 8;
  int steps = 2000;
  std::vector<int64_t> channels = {16, 32, 64, 128};
  std::string optimizer = "adam";
  std::string optimizer_settings{};  // JSON over the optimizer's defaults
  double lr = 0;                     // 0: the optimizer's default
  double object_crops = 0.7;         // share of crops centred near an insect (the rest anywhere)
  int calibration_photos = 16;       // training photos the score threshold is chosen on
  uint64_t seed = 0;
  DataType precision = DataType::f32;  // the convolutions' (ConvParams::compute)
  std::function<void(int step, float loss)> progress{};
  RunSettings run{};  // checkpoints, resume, init_from, progress line, log
  // Steps between validations: the loss on fixed crops of the calibration photos (0: none).
  int validate_every = 250;
};

struct Detector {
  std::unique_ptr<Module> unet;
  std::vector<Category> categories;           // class index -> category
  std::array<double, 3> mean{}, sd{1, 1, 1};  // per BGR channel, of the training photos (0..255)
  double score_threshold =
      0.3;  // counts, precision and recall use detections scoring at least this
  int64_t steps = 0;
};

// Normalisation, channels, crops and the heat prior are chosen here; then the score threshold
// that best reproduces the true counts on up to `calibration_photos` training photos.
Detector train_detector(const std::vector<TrainingPhoto>& photos, std::vector<Category> categories,
                        const DetectorTrainOptions& o);

// The categories that have boxes, in id order: the detector's classes. (Exports such as
// Roboflow's add an empty parent category that would only be a class never seen.)
std::vector<Category> annotated_categories(const Dataset& d);

// Training photos of an annotated dataset (read from `folder`), class indices those of
// annotated_categories.
std::vector<TrainingPhoto> training_photos(const Dataset& d, const std::string& folder);

void save_detector(const std::string& path, Detector& d);
Detector load_detector(const std::string& path);  // throws when the file is not a detector

struct DetectOptions {
  DecodeOptions decode{};
  TileOptions tile{};  // tiles and memory budget of the tiled executor
  bool whole = false;  // one pass over the whole photo instead (for tests and comparisons)
};

// Boxes on one photo, category ids of the detector's categories, by decreasing score.
std::vector<Annotation> detect_photo(Detector& d, const cv::Mat& bgr, int64_t image_id,
                                     const DetectOptions& o = {});

// The score threshold at which the detections' counts per photo and category come closest to
// the truth's (least total absolute error; ties to the higher threshold).
double count_threshold(const Dataset& truth, const std::vector<Annotation>& detections);

}  // namespace tessera::ecology
