#include "tessera/materials/property_model.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "crops.hpp"
#include "score_pooling.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/materials/micrograph.hpp"
#include "tessera/materials/texture_features.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera::materials {

namespace {

constexpr const char* kTask = "materials_property_model";
constexpr int64_t kMaxPixels = 4 << 20;

// The centred part of an image of `size` that holds at most kMaxPixels once scaled by `scale`
// along each axis, and at least `min_edge` pixels (scaled) along each.
cv::Rect centred_window(cv::Size size, double scale, int min_edge) {
  const double shrink = std::sqrt(double(kMaxPixels) / (double(size.area()) * scale * scale));
  if (shrink >= 1) return {0, 0, size.width, size.height};
  const int edge = int(std::ceil(min_edge / scale));
  const int w = std::min(size.width, std::max(edge, int(size.width * shrink))),
            h = std::min(size.height, std::max(edge, int(size.height * shrink)));
  return {(size.width - w) / 2, (size.height - h) / 2, w, h};
}

// Crops drawn so every class (a category) or every specimen (a number) comes up as often,
// whatever its number of images: a specimen with many fields should not outvote the rest.
class SpecimenSampler {
 public:
  SpecimenSampler(const std::vector<PropertyImage>& images, const PropertyTarget& target,
                  int64_t patch, uint64_t seed)
      : images_(images), patch_(int(patch)), rng_(seed) {
    std::map<std::string, std::vector<size_t>> by_specimen;
    for (size_t i = 0; i < images.size(); ++i) by_specimen[images[i].specimen].push_back(i);
    groups_.resize(target.categorical() ? target.classes.size() : 1);
    for (auto& [specimen, members] : by_specimen) {
      const size_t group = target.categorical() ? size_t(images[members[0]].target) : 0;
      groups_[group].push_back(std::move(members));
    }
    std::erase_if(groups_, [](const auto& g) { return g.empty(); });
  }

  std::pair<Tensor, Tensor> next(int64_t batch) {
    Tensor input = Tensor::empty({batch, 1, patch_, patch_}),
           target = Tensor::empty({batch, 1, 1, 1});
    for (int64_t i = 0; i < batch; ++i) {
      const auto& specimens = groups_[rng_() % groups_.size()];
      const auto& members = specimens[rng_() % specimens.size()];
      const PropertyImage& image = images_[members[rng_() % members.size()]];
      put_crop(input, i, random_crop(image.pixels, patch_, rng_));
      target.data()[i] = float(image.target);
    }
    return {input, target};
  }

 private:
  const std::vector<PropertyImage>& images_;
  int patch_;
  std::mt19937_64 rng_;
  std::vector<std::vector<std::vector<size_t>>> groups_;  // group -> specimen -> image indices
};

void check_images(const std::vector<PropertyImage>& images, const PropertyTarget& target,
                  const PropertyTrainOptions& o) {
  if (o.method != "network" && o.method != "forest")
    throw SettingError("method", "'" + o.method + "' is not one of network, forest");
  const int64_t patch = o.patch;
  if (images.empty()) throw std::invalid_argument("property model: no images");
  if (patch < 32 || patch % 16 != 0)
    throw SettingError("patch", std::to_string(patch) + " must be a multiple of 16, at least 32");
  std::set<std::string> specimens;
  for (const PropertyImage& im : images) {
    specimens.insert(im.specimen);
    if (!std::isfinite(im.target))
      throw std::invalid_argument("property model: " + im.name + " has no finite target");
    if (target.categorical() && (im.target < 0 || im.target >= double(target.classes.size()) ||
                                 im.target != std::floor(im.target)))
      throw std::invalid_argument("property model: " + im.name + " has class index " +
                                  std::to_string(im.target));
  }
  if (specimens.size() < 2)
    throw std::invalid_argument("property model: the images come from " +
                                std::to_string(specimens.size()) +
                                " specimen; a property is learnt across specimens");
}

// The specimens kept out of training to set the intervals: `share` of each class's specimens
// (of all, for a number), never a class's last one; none when fewer than 3 specimens in all.
std::set<std::string> held_out_specimens(const std::vector<PropertyImage>& images,
                                         const PropertyTarget& target, double share,
                                         uint64_t seed) {
  std::map<int, std::vector<std::string>> by_group;
  std::set<std::string> seen;
  for (const PropertyImage& im : images)
    if (seen.insert(im.specimen).second)
      by_group[target.categorical() ? int(im.target) : 0].push_back(im.specimen);
  std::set<std::string> out;
  if (seen.size() < 3 || share <= 0) return out;
  std::mt19937_64 rng(seed * 31 + 7);
  for (auto& [group, specimens] : by_group) {
    std::shuffle(specimens.begin(), specimens.end(), rng);
    const size_t n = specimens.size();
    const size_t take =
        n < 2 ? 0 : std::clamp<size_t>(size_t(std::lround(share * double(n))), 1, n - 1);
    out.insert(specimens.begin(), specimens.begin() + std::ptrdiff_t(take));
  }
  return out;
}

// An image's texture features as one CV_32F row.
// An image smaller than the features' widest window (a field at 5x the model's magnification
// shrinks to a few dozen pixels) is mirrored out to it first, as the network's crops are.
cv::Mat texture_row(const cv::Mat& pixels) {
  const std::vector<float> f = texture_features(padded_to(pixels, 32));
  return cv::Mat(1, int(f.size()), CV_32F, const_cast<float*>(f.data())).clone();
}

// The texture forest's prediction: class vote shares, or the standardised number.
ImagePrediction predict_with_forest(const PropertyModel& m, const cv::Mat& pixels) {
  const cv::Mat row = texture_row(pixels);
  ImagePrediction p;
  p.window = cv::Rect(0, 0, pixels.cols, pixels.rows);
  if (!m.target.categorical()) {
    p.value = m.mean + m.sd * m.forest.predict_values(row)[0];
    return p;
  }
  const cv::Mat votes = m.forest.vote_fractions(row);
  p.probabilities.assign(m.target.classes.size(), 0);
  for (size_t i = 0; i < m.forest.classes().size(); ++i)
    p.probabilities[size_t(m.forest.classes()[i])] = votes.at<float>(0, int(i));
  p.best = int(std::max_element(p.probabilities.begin(), p.probabilities.end()) -
               p.probabilities.begin());
  return p;
}

// Sets the intervals from the predictions of `images` (the held-out specimens').
PropertyIntervals calibrate(PropertyModel& m, const std::vector<const PropertyImage*>& images,
                            double coverage) {
  PropertyIntervals out{.coverage = coverage};
  std::map<std::string, std::vector<ImagePrediction>> by_specimen;
  std::map<std::string, double> truth;
  std::vector<double> image_scores, specimen_scores;
  // The nonconformity: the error of a number, 1 - the true class's probability for a category.
  auto score = [&](const ImagePrediction& p, double t) {
    return m.target.categorical() ? 1 - p.probabilities[size_t(t)] : std::abs(p.value - t);
  };
  for (const PropertyImage* im : images) {
    ImagePrediction p = predict_image(m, im->pixels);
    p.features = p.scores = Tensor();
    image_scores.push_back(score(p, im->target));
    by_specimen[im->specimen].push_back(std::move(p));
    truth[im->specimen] = im->target;
    out.held_out.push_back(im->specimen);
  }
  for (const auto& [specimen, predictions] : by_specimen)
    specimen_scores.push_back(score(specimen_prediction(m, predictions), truth[specimen]));
  std::sort(out.held_out.begin(), out.held_out.end());
  out.held_out.erase(std::unique(out.held_out.begin(), out.held_out.end()), out.held_out.end());
  const double q_image = conformal_quantile(image_scores, coverage);
  const double q_specimen = conformal_quantile(specimen_scores, coverage);
  if (m.target.categorical()) {
    out.image_threshold = 1 - q_image, out.specimen_threshold = 1 - q_specimen;
  } else {
    out.image_half_width = q_image, out.specimen_half_width = q_specimen;
  }
  return out;
}

void train_network(PropertyModel& m, const std::vector<PropertyImage>& training,
                   const PropertyTrainOptions& o) {
  const PropertyTarget& target = m.target;
  const int64_t outputs = target.categorical() ? int64_t(target.classes.size()) : 1;
  m.net = make_property_network(o.channels, outputs, o.seed + 1);
  set_compute_type(*m.net, o.precision);
  auto opt = make_optimizer(nlohmann::json{{"type", "adam"}});
  TrainingLoop loop(o.run, m.net, *opt);
  SpecimenSampler sampler(training, target, o.patch, o.seed * 7919 + 13);
  auto loss = [&](const Tensor& pooled, const Tensor& t) {
    return target.categorical() ? softmax_cross_entropy_loss(pooled, t) : mse_loss(pooled, t);
  };
  TrainingTask task{.steps = o.steps,
                    .schedule = {.base_lr = o.lr},
                    .step =
                        [&](int64_t, float lr) {
                          const auto [input, t] = sampler.next(o.batch);
                          return train_step(*m.net, *opt, lr, input, [&](const Tensor& y) {
                            return mean_pooled_loss(
                                y, [&](const Tensor& pooled) { return loss(pooled, t); });
                          });
                        },
                    .on_step = report_every(o.progress, o.steps)};
  loop.run(task);
}

void train_texture_forest(PropertyModel& m, const std::vector<PropertyImage>& training,
                          uint64_t seed) {
  cv::Mat samples;
  std::vector<int> classes;
  std::vector<float> values;
  for (const PropertyImage& im : training) {
    samples.push_back(texture_row(im.pixels));
    classes.push_back(int(im.target)), values.push_back(float(im.target));
  }
  m.forest = m.target.categorical()
                 ? RandomForest::train_classifier(samples, classes, {.seed = seed})
                 : RandomForest::train_regressor(samples, values, {.seed = seed});
}

}  // namespace

std::unique_ptr<Sequential> make_property_network(const std::vector<int64_t>& channels,
                                                  int64_t outputs, uint64_t seed) {
  auto features = std::make_unique<Sequential>();
  int64_t in = 1;
  for (int64_t c : channels) {
    features->add(std::make_unique<Conv>(
        ConvOptions{.in_channels = in, .out_channels = c, .kernel = {3, 3}, .padding = {1, 1}}));
    for (auto& m : batch_norm_then(c, Activation::relu)) features->add(std::move(m));
    features->add(std::make_unique<Pool>(PoolParams{.kind = PoolKind::max, .kernel = {2, 2}}));
    in = c;
  }
  auto net = std::make_unique<Sequential>();
  net->add(std::move(features));
  net->add(std::make_unique<Conv>(
      ConvOptions{.in_channels = in, .out_channels = outputs, .kernel = {1, 1}}));
  net->initialize(seed);
  return net;
}

PropertyModel train_property_model(const std::vector<PropertyImage>& images,
                                   const PropertyTarget& target, const PropertyTrainOptions& o) {
  check_images(images, target, o);
  const std::set<std::string> held = held_out_specimens(images, target, o.held_out, o.seed);
  std::vector<PropertyImage> training;
  std::vector<const PropertyImage*> calibration;
  for (const PropertyImage& im : images) {
    if (held.count(im.specimen)) {
      calibration.push_back(&im);
      continue;
    }
    training.push_back({o.method == "forest" ? im.pixels : standardised(im.pixels), im.specimen,
                        im.name, im.target});
  }
  PropertyModel m;
  m.target = target;
  if (!target.categorical()) {
    double sum = 0, squares = 0;
    for (const PropertyImage& im : training) sum += im.target, squares += im.target * im.target;
    m.mean = sum / double(training.size());
    m.sd = std::sqrt(std::max(squares / double(training.size()) - m.mean * m.mean, 0.0));
    if (!(m.sd > 0)) m.sd = 1;
    for (PropertyImage& im : training) im.target = (im.target - m.mean) / m.sd;
  }
  m.method = o.method;
  if (o.method == "forest") {
    train_texture_forest(m, training, o.seed);
  } else {
    train_network(m, training, o);
  }
  m.steps = o.method == "forest" ? 0 : o.steps;
  m.patch = o.patch;
  if (calibration.empty())
    for (const PropertyImage& im : images) calibration.push_back(&im);
  m.intervals = calibrate(m, calibration, o.coverage);
  if (held.empty()) m.intervals.held_out.clear();
  return m;
}

void save_property_model(const std::string& path, PropertyModel& m) {
  const PropertyIntervals& i = m.intervals;
  // A forest has no network: the checkpoint holds an empty one and the forest as text.
  Sequential none;
  save_checkpoint(path, m.net ? *m.net : none, nullptr, m.steps,
                  {{"task", kTask},
                   {"method", m.method},
                   {"forest", m.method == "forest" ? m.forest.to_text() : std::string()},
                   {"target", m.target.name},
                   {"classes", m.target.classes},
                   {"mean", m.mean},
                   {"sd", m.sd},
                   {"um_per_px", m.um_per_px},
                   {"patch", m.patch},
                   {"intervals",
                    {{"coverage", i.coverage},
                     {"image_half_width", i.image_half_width},
                     {"specimen_half_width", i.specimen_half_width},
                     {"image_threshold", i.image_threshold},
                     {"specimen_threshold", i.specimen_threshold},
                     {"held_out", i.held_out}}}});
}

PropertyModel load_property_model(const std::string& path) {
  Checkpoint ck = load_task_checkpoint(
      path, kTask, "a property model (train one with tessera materials train-property)");
  const Settings s(ck.metadata, "property model " + path);
  PropertyModel m;
  m.method = s.get("method", "network");
  m.net = std::move(ck.model);
  if (m.method == "forest") {
    m.forest = RandomForest::from_text(s.require<std::string>("forest"));
  } else if (!dynamic_cast<Sequential*>(m.net.get()) ||
             dynamic_cast<Sequential&>(*m.net).size() != 2) {
    s.fail("task", "the network is not a property network (features, then head)");
  }
  m.target = {s.require<std::string>("target"), s.require<std::vector<std::string>>("classes")};
  m.mean = s.require<double>("mean");
  m.sd = s.require<double>("sd");
  m.um_per_px = s.require<double>("um_per_px");
  m.patch = s.require<int64_t>("patch");
  m.steps = ck.step;
  if (!s.has("intervals")) s.fail("intervals", "missing");
  const Settings i = s.child("intervals");
  m.intervals = {i.require<double>("coverage"),
                 i.require<double>("image_half_width"),
                 i.require<double>("specimen_half_width"),
                 i.require<double>("image_threshold"),
                 i.require<double>("specimen_threshold"),
                 i.require<std::vector<std::string>>("held_out")};
  if (!(m.sd > 0)) s.fail("sd", "must be positive");
  if (!(m.um_per_px >= 0)) s.fail("um_per_px", "must be zero or more");
  return m;
}

ImagePrediction predict_image(PropertyModel& m, const cv::Mat& pixels) {
  if (m.method == "forest") return predict_with_forest(m, pixels);
  cv::Mat input = padded_to(standardised(pixels), int(m.patch));
  ImagePrediction p;
  p.window = centred_window(input.size(), 1, int(m.patch));
  if (p.window.size() != input.size()) input = input(p.window).clone();
  Tensor x = Tensor::empty({1, 1, input.rows, input.cols});
  put_crop(x, 0, input);
  p.features = forward_on_model_device(m.features(), x, Mode::eval).to_plain();
  p.scores = forward_on_model_device(m.head(), p.features, Mode::eval).to_plain();
  const int64_t k = p.scores.dim(1), area = p.scores.dim(2) * p.scores.dim(3);
  std::vector<double> pooled(size_t(k), 0);
  for (int64_t c = 0; c < k; ++c)
    pooled[size_t(c)] =
        std::accumulate(p.scores.data() + c * area, p.scores.data() + (c + 1) * area, 0.0) /
        double(area);
  if (!m.target.categorical()) {
    p.value = m.mean + m.sd * pooled[0];
    return p;
  }
  const double top = *std::max_element(pooled.begin(), pooled.end());
  double sum = 0;
  for (double& v : pooled) sum += v = std::exp(v - top);
  for (double& v : pooled) v /= sum;
  p.probabilities = pooled;
  p.best = int(std::max_element(pooled.begin(), pooled.end()) - pooled.begin());
  return p;
}

ModelInput micrograph_at(const Micrograph& m, double um_per_px) {
  const bool resample = um_per_px > 0 && m.um_per_px > 0;
  const double scale = resample ? m.um_per_px / um_per_px : 1;
  Micrograph part = m;
  const cv::Rect window = centred_window(m.pixels.size(), scale, 1);
  if (window.size() != m.pixels.size()) part.pixels = m.pixels(window).clone();
  return {resample ? resample_to(part, um_per_px).pixels : part.pixels, window};
}

ImagePrediction specimen_prediction(const PropertyModel& m,
                                    const std::vector<ImagePrediction>& images) {
  if (images.empty()) throw std::invalid_argument("specimen prediction: no images");
  ImagePrediction out;
  const double n = double(images.size());
  for (const ImagePrediction& p : images) out.value += p.value / n;
  if (m.target.categorical()) {
    out.probabilities.assign(m.target.classes.size(), 0);
    for (const ImagePrediction& p : images)
      for (size_t c = 0; c < out.probabilities.size(); ++c)
        out.probabilities[c] += p.probabilities[c] / n;
    out.best = int(std::max_element(out.probabilities.begin(), out.probabilities.end()) -
                   out.probabilities.begin());
  }
  return out;
}

std::vector<int> prediction_set(const std::vector<double>& probabilities, double threshold) {
  std::vector<int> order(probabilities.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return probabilities[size_t(a)] > probabilities[size_t(b)];
  });
  std::vector<int> out;
  for (int c : order)
    if (out.empty() || probabilities[size_t(c)] >= threshold) out.push_back(c);
  return out;
}

double conformal_quantile(std::vector<double> scores, double coverage) {
  if (scores.empty()) throw std::invalid_argument("conformal quantile: no scores");
  std::sort(scores.begin(), scores.end());
  const size_t rank = size_t(std::ceil((double(scores.size()) + 1) * coverage));
  return scores[std::clamp<size_t>(rank, 1, scores.size()) - 1];
}

}  // namespace tessera::materials
