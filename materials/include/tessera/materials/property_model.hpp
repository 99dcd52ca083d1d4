#pragma once
// A specimen's property (a number) or processing condition (a category) from its micrographs.
// A small convolutional network gives a score map per class (one map for a number) at 1/16 of
// the input's resolution; the prediction of an image is the mean of its maps (global average
// pooling), the map before the pooling is the class activation map (Zhou et al. 2016), and a
// specimen's prediction is the mean over its images. Why this route: the property is a fact of
// the whole specimen, every field of it is evidence, and a map that averages to the prediction
// says where in each image that evidence lies.
//
// Intervals are split-conformal: some specimens are held out of training, the model's errors on
// them set the interval's half width (a number) or the probability a class needs to stay in the
// prediction set (a category), so that about `coverage` of new specimens fall inside.
//
//   PropertyModel m = train_property_model(images, {.classes = {"800", "970"}}, {.steps = 600});
//   ImagePrediction p = predict_image(m, pixels);   // p.value, p.probabilities, p.scores
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/materials/micrograph.hpp"
#include "tessera/materials/random_forest.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::materials {

// A micrograph at the model's pixel size and what is known of its specimen.
struct PropertyImage {
  cv::Mat pixels;  // CV_32F, 0..1
  std::string specimen{};
  std::string name{};
  double target = 0;  // the number, or the class index
};

// What is predicted: a number (no classes) or one of `classes`.
struct PropertyTarget {
  std::string name{};                  // the table's column
  std::vector<std::string> classes{};  // empty: a number
  bool categorical() const { return !classes.empty(); }
};

struct PropertyTrainOptions {
  // network: the CNN of score maps; forest: the classical baseline, a random forest on each
  // image's texture features (texture_features.hpp), without evidence maps.
  std::string method = "network";
  int64_t patch = 96;  // crop edge, a multiple of 16
  int64_t batch = 16;
  int steps = 600;
  std::vector<int64_t> channels = {16, 32, 64, 96};  // one level each, halving the resolution
  double lr = 2e-3;                                  // Adam
  double held_out = 0.2;                             // share of specimens kept for the intervals
  double coverage = 0.9;                             // of the intervals on new specimens
  uint64_t seed = 0;
  DataType precision = DataType::f32;  // the convolutions' (ConvParams::compute)
  std::function<void(int step, float loss)> progress{};
  RunSettings run{};
};

// The intervals as the held-out specimens set them. For a number, half widths in the target's
// units; for a category, the least probability a class needs to join the prediction set.
struct PropertyIntervals {
  double coverage = 0.9;
  double image_half_width = 0, specimen_half_width = 0;
  double image_threshold = 0, specimen_threshold = 0;
  std::vector<std::string> held_out{};  // the specimens that set them; none: training's own
};

struct PropertyModel {
  std::string method = "network";  // or "forest"
  std::unique_ptr<Module> net;     // network: a Sequential of two, the features then the 1x1 head
  RandomForest forest{};           // forest: on texture_features, classes or standardised numbers
  PropertyTarget target{};
  double mean = 0, sd = 1;  // of a number, which the network predicts standardised
  double um_per_px = 0;     // the pixel size it was trained at; 0: images as they are
  int64_t patch = 128;
  int64_t steps = 0;
  PropertyIntervals intervals{};
  Module& features() { return dynamic_cast<Sequential&>(*net).at(0); }
  Module& head() { return dynamic_cast<Sequential&>(*net).at(1); }
};

// The network: per level a 3x3 convolution, batch norm, ReLU and 2x2 max pooling; then the
// 1x1 head to `outputs` maps. [N,1,H,W] -> [N,outputs,H/16,W/16] for four levels.
std::unique_ptr<Sequential> make_property_network(const std::vector<int64_t>& channels,
                                                  int64_t outputs, uint64_t seed);

// Throws std::invalid_argument for no images, a class index out of range, a number that is
// not finite, or fewer than two specimens; SettingError("patch") for a bad crop size.
PropertyModel train_property_model(const std::vector<PropertyImage>& images,
                                   const PropertyTarget& target, const PropertyTrainOptions& o);

void save_property_model(const std::string& path, PropertyModel& m);
// Throws std::runtime_error when the file is not a property model.
PropertyModel load_property_model(const std::string& path);

struct ImagePrediction {
  double value = 0;                   // a number: the prediction in the target's units
  std::vector<double> probabilities;  // a category: one per class
  int best = 0;                       // a category: the most probable class
  Tensor features;                    // [1,C,h,w], what the head read (network only)
  Tensor scores;                      // [1,K,h,w], the class activation maps (standardised units)
  cv::Rect window{};  // what the network read, in the image's pixels (past its bottom and right
                      // edges where a small image was mirrored out)
};

// The prediction of one micrograph already at the model's pixel size: images smaller than the
// training crops are mirrored out to them first, as in training, and of a larger one the
// network reads a centred window of at most 4 Mpx (the mean of a micrograph's maps settles long
// before; a field at 20x the model's magnification would cost 400x the time).
ImagePrediction predict_image(PropertyModel& m, const cv::Mat& pixels);

// What the model reads of a micrograph, at `um_per_px` (when both pixel sizes are known): all
// of it, or the centred window that holds 4 Mpx once resampled, cut before resampling so a
// field at 20x the model's magnification never exists whole at 400x its pixels.
struct ModelInput {
  cv::Mat pixels;   // at the model's pixel size
  cv::Rect window;  // the part of the micrograph they show, in its own pixels
};
ModelInput micrograph_at(const Micrograph& m, double um_per_px);

// A specimen's prediction from its images': the mean of the values or of the probabilities.
ImagePrediction specimen_prediction(const PropertyModel& m,
                                    const std::vector<ImagePrediction>& images);

// The classes whose probability reaches `threshold`, most probable first (never empty).
std::vector<int> prediction_set(const std::vector<double>& probabilities, double threshold);

// The split-conformal quantile: the ceil((n + 1) coverage)-th smallest of the n scores (the
// largest when that rank passes n).
double conformal_quantile(std::vector<double> scores, double coverage);

}  // namespace tessera::materials
