#include "tessera/ecology/detector.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>

#include "tessera/ecology/detection_metrics.hpp"
#include "tessera/ecology/photos.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/ops/shape_ops.hpp"
#include "tessera/train/trainer.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::ecology {

namespace {

// One channel value as the network reads it: standardised with the training photos' statistics.
float normalised(uint8_t value, const Detector& d, size_t channel) {
  return float((double(value) - d.mean[channel]) / d.sd[channel]);
}

// A photo as the network reads it: regions of the 8-bit BGR image, normalised, as
// [1, 3, h, w] floats, so that tiles never need the whole photo in floats.
class PhotoSource final : public VolumeSource {
 public:
  PhotoSource(const cv::Mat& bgr, const Detector& d) : bgr_(bgr), d_(d) {
    info_.channels = 3;
    info_.size = {bgr.rows, bgr.cols};
    info_.description = "8-bit BGR photo";
  }
  const VolumeInfo& info() const override { return info_; }
  Tensor read(const Region& r) override {
    const int64_t h = r.size[0], w = r.size[1];
    Tensor t = Tensor::empty({1, 3, h, w});
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < h; ++y) {
        const uint8_t* row = bgr_.ptr<uint8_t>(int(r.origin[0] + y)) + 3 * r.origin[1];
        float* out = t.data() + (c * h + y) * w;
        for (int64_t x = 0; x < w; ++x) out[x] = normalised(row[3 * x + c], d_, size_t(c));
      }
    return t;
  }

 private:
  const cv::Mat& bgr_;
  const Detector& d_;
  VolumeInfo info_;
};

// Hands the executor's rows to a collector the caller keeps.
class ForwardingSink final : public VolumeSink {
 public:
  explicit ForwardingSink(CentreCollector& c) : c_(c) {}
  void write(const Region& r, const Tensor& data) override { c_.write(r, data); }
  void commit() override {}

 private:
  CentreCollector& c_;
};

void check_photo(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("a photo must be 8-bit with 3 channels (BGR)");
}

std::array<std::array<double, 3>, 2> channel_statistics(const std::vector<TrainingPhoto>& photos) {
  std::array<double, 3> sum{}, sq{};
  double n = 0;
  for (const TrainingPhoto& p : photos) {
    const cv::Scalar m = cv::mean(p.bgr);
    cv::Mat f;
    p.bgr.convertTo(f, CV_64FC3);
    const cv::Scalar s2 = cv::mean(f.mul(f));
    for (size_t c = 0; c < 3; ++c) sum[c] += m[int(c)], sq[c] += s2[int(c)];
    n += 1;
  }
  std::array<double, 3> mean{}, sd{};
  for (size_t c = 0; c < 3; ++c) {
    mean[c] = sum[c] / n;
    sd[c] = std::sqrt(std::max(1.0, sq[c] / n - mean[c] * mean[c]));
  }
  return {mean, sd};
}

struct Batch {
  Tensor input, heat, size, size_mask;
};

// Random crops, flipped, transposed and brightness-jittered, with their targets.
class CropSampler {
 public:
  CropSampler(const std::vector<TrainingPhoto>& photos, const Detector& d, int64_t patch,
              double object_crops, uint64_t seed)
      : photos_(photos), d_(d), patch_(patch), object_crops_(object_crops), rng_(seed) {}

  // The draws so far, as text: a checkpoint keeps it so that a resumed run sees the same crops.
  std::string state() const { return rng_text(rng_); }
  void restore(const nlohmann::json& state) { restore_rng(rng_, state); }

  Batch next(int64_t n) {
    std::vector<Tensor> input, heat, size, size_mask;
    for (int64_t i = 0; i < n; ++i) {
      auto [x, t] = one();
      input.push_back(std::move(x));
      heat.push_back(std::move(t.heat));
      size.push_back(std::move(t.size));
      size_mask.push_back(std::move(t.size_mask));
    }
    return {concat(input, 0), concat(heat, 0), concat(size, 0), concat(size_mask, 0)};
  }

 private:
  std::pair<Tensor, CentreTargets> one() {
    std::uniform_real_distribution<double> u(0, 1);
    const TrainingPhoto& photo = photos_[size_t(u(rng_) * double(photos_.size())) % photos_.size()];
    const int64_t p = patch_, H = photo.bgr.rows, W = photo.bgr.cols;
    int64_t x0 = int64_t(u(rng_) * double(W - p + 1)), y0 = int64_t(u(rng_) * double(H - p + 1));
    if (!photo.boxes.empty() && u(rng_) < object_crops_) {
      const CentreBox& b =
          photo.boxes[size_t(u(rng_) * double(photo.boxes.size())) % photo.boxes.size()];
      x0 = int64_t(b.cx - double(p) * u(rng_)), y0 = int64_t(b.cy - double(p) * u(rng_));
    }
    x0 = std::clamp<int64_t>(x0, 0, W - p), y0 = std::clamp<int64_t>(y0, 0, H - p);
    const bool flip_x = u(rng_) < 0.5, flip_y = u(rng_) < 0.5, transpose = u(rng_) < 0.5;
    const double gain = 0.8 + 0.4 * u(rng_), offset = 0.4 * (u(rng_) - 0.5);

    // Output pixel (y, x) reads crop pixel (sy, sx): flips first, then the transpose.
    Tensor x = Tensor::empty({1, 3, p, p});
    for (int64_t y = 0; y < p; ++y)
      for (int64_t xx = 0; xx < p; ++xx) {
        int64_t sy = transpose ? xx : y, sx = transpose ? y : xx;
        if (flip_y) sy = p - 1 - sy;
        if (flip_x) sx = p - 1 - sx;
        const uint8_t* px = photo.bgr.ptr<uint8_t>(int(y0 + sy)) + 3 * (x0 + sx);
        for (size_t c = 0; c < 3; ++c)
          x.data()[(int64_t(c) * p + y) * p + xx] = float(normalised(px[c], d_, c) * gain + offset);
      }
    std::vector<CentreBox> boxes;
    for (CentreBox b : photo.boxes) {
      // On the centre of its centre pixel, so that a flip (c -> p - c) moves that pixel to
      // its mirror image: floor(p - c) is p - 1 - floor(c) only for c off the integers.
      b.cx = std::floor(b.cx) + 0.5 - double(x0), b.cy = std::floor(b.cy) + 0.5 - double(y0);
      if (b.cx + b.width / 2 < 0 || b.cy + b.height / 2 < 0 || b.cx - b.width / 2 > double(p) ||
          b.cy - b.height / 2 > double(p))
        continue;
      // Pixel i maps to p - 1 - i, so a continuous coordinate c maps to p - c.
      if (flip_x) b.cx = double(p) - b.cx;
      if (flip_y) b.cy = double(p) - b.cy;
      if (transpose) std::swap(b.cx, b.cy), std::swap(b.width, b.height);
      boxes.push_back(b);
    }
    return {x, centre_targets(boxes, int64_t(d_.categories.size()), p, p)};
  }

  const std::vector<TrainingPhoto>& photos_;
  const Detector& d_;
  int64_t patch_;
  double object_crops_;
  std::mt19937_64 rng_;
};

// Focal loss on the heat channels plus L1 on log sizes near centres.
LossResult detector_loss(const Tensor& prediction, const Batch& b) {
  const Tensor pred = prediction.to_plain();
  const int64_t n = pred.dim(0), classes = b.heat.dim(1), h = pred.dim(2), w = pred.dim(3);
  const LossResult heat = centre_focal_loss(crop(pred, {0, 0, 0, 0}, {n, classes, h, w}), b.heat);
  const LossResult size = l1_loss(crop(pred, {0, classes, 0, 0}, {n, 2, h, w}), b.size,
                                  {.weight = {}, .mask = b.size_mask});
  return {heat.value + size.value, concat({heat.grad, size.grad}, 1)};
}

// The loss on fixed crops (drawn once, the same at every call) of the first calibration
// photos: a score that training does not see change under it.
class ValidationLoss {
 public:
  ValidationLoss(const std::vector<TrainingPhoto>& photos, const Detector& d,
                 const DetectorTrainOptions& o) {
    const size_t n = std::min(photos.size(), size_t(std::max(1, o.calibration_photos)));
    const std::vector<TrainingPhoto> chosen(photos.begin(), photos.begin() + long(n));
    CropSampler sampler(chosen, d, o.patch, o.object_crops, o.seed * 7919 + 29);
    for (int k = 0; k < 2; ++k) batches_.push_back(sampler.next(std::min<int64_t>(o.batch, 4)));
  }
  Validation operator()(Module& net) const {
    double sum = 0;
    for (const Batch& b : batches_)
      sum += detector_loss(forward_on_model_device(net, b.input, Mode::eval), b).value;
    return {sum / double(batches_.size())};
  }

 private:
  std::vector<Batch> batches_;
};

// Output biases: heat at a prior of 0.1 (as CenterNet, so the focal loss starts calm) and sizes
// at the training boxes' mean.
void initialise_head(Module& unet, int64_t classes, const std::vector<TrainingPhoto>& photos) {
  double log_w = 0, log_h = 0, n = 0;
  for (const TrainingPhoto& p : photos)
    for (const CentreBox& b : p.boxes) log_w += std::log(b.width), log_h += std::log(b.height), ++n;
  if (n > 0) log_w /= n, log_h /= n;
  Param* bias = unet.parameters().back();
  if (bias->value.numel() != classes + 2)
    throw std::logic_error("detector: the U-Net's last parameter is not its output bias");
  float* v = bias->value.data();
  for (int64_t c = 0; c < classes; ++c) v[c] = float(-std::log(9.0));
  v[classes] = float(log_w), v[classes + 1] = float(log_h);
}

}  // namespace

double count_threshold(const Dataset& truth, const std::vector<Annotation>& detections) {
  // Every category that has a box or a detection: detections of a category absent from these
  // photos are miscounts too.
  std::set<int64_t> categories;
  for (const Annotation& a : truth.annotations) categories.insert(a.category_id);
  for (const Annotation& d : detections) categories.insert(d.category_id);
  double best = 0.5, best_error = -1;
  for (int k = 95; k >= 5; --k) {
    const double t = k / 100.0;
    const double error = count_error(truth, detections, t, categories).absolute;
    if (best_error < 0 || error < best_error) best = t, best_error = error;
  }
  return best;
}

std::vector<Category> annotated_categories(const Dataset& d) {
  std::vector<Category> out;
  for (const Category& c : d.categories)
    if (std::any_of(d.annotations.begin(), d.annotations.end(),
                    [&](const Annotation& a) { return a.category_id == c.id; }))
      out.push_back(c);
  std::sort(out.begin(), out.end(),
            [](const Category& a, const Category& b) { return a.id < b.id; });
  return out;
}

std::vector<TrainingPhoto> training_photos(const Dataset& d, const std::string& folder) {
  std::map<int64_t, size_t> index_of_image, class_of_category;
  const std::vector<Category> categories = annotated_categories(d);
  for (size_t c = 0; c < categories.size(); ++c) class_of_category[categories[c].id] = c;
  std::vector<TrainingPhoto> photos;
  for (const ImageInfo& info : d.images) {
    index_of_image[info.id] = photos.size();
    photos.push_back({read_annotated_photo(folder, info), {}, info.file_name});
  }
  for (const Annotation& a : d.annotations)
    photos[index_of_image.at(a.image_id)].boxes.push_back(
        {.cx = a.box.x + a.box.width / 2,
         .cy = a.box.y + a.box.height / 2,
         .width = a.box.width,
         .height = a.box.height,
         .cls = int64_t(class_of_category.at(a.category_id))});
  return photos;
}

Detector train_detector(const std::vector<TrainingPhoto>& photos, std::vector<Category> categories,
                        const DetectorTrainOptions& o) {
  if (photos.empty()) throw std::invalid_argument("no training photos");
  if (categories.empty()) throw std::invalid_argument("the annotations name no categories");
  const int64_t stride = int64_t(1) << (o.channels.size() - 1), patch = o.patch;
  if (patch < stride || patch % stride)
    throw SettingError("patch", std::to_string(patch) + " must be a multiple of " +
                                    std::to_string(stride) + " for " +
                                    std::to_string(o.channels.size()) + " levels");
  for (const TrainingPhoto& p : photos) {
    check_photo(p.bgr);
    if (p.bgr.rows < patch || p.bgr.cols < patch)
      throw SettingError("patch", "photo " + p.name + " (" + std::to_string(p.bgr.cols) + "x" +
                                      std::to_string(p.bgr.rows) + ") is smaller than the " +
                                      std::to_string(patch) + " px training crops; lower it");
  }
  Detector d;
  d.categories = std::move(categories);
  const auto statistics = channel_statistics(photos);
  d.mean = statistics[0], d.sd = statistics[1];
  const int64_t classes = int64_t(d.categories.size());
  d.unet = make_unet({.dims = 2,
                      .in_channels = 3,
                      .out_channels = classes + 2,
                      .channels = o.channels,
                      .seed = o.seed + 1});
  initialise_head(*d.unet, classes, photos);
  set_compute_type(*d.unet, o.precision);
  auto opt = make_optimizer(o.optimizer, o.optimizer_settings);
  TrainingLoop loop(o.run, d.unet, *opt);
  const double lr = o.lr > 0 ? o.lr : default_learning_rate(o.optimizer);
  CropSampler sampler(photos, d, patch, o.object_crops, o.seed * 7919 + 17);
  std::optional<ValidationLoss> validation;
  if (o.validate_every > 0) validation.emplace(photos, d, o);
  TrainingTask task{.steps = o.steps,
                    .schedule = {.base_lr = lr},
                    .step =
                        [&](int64_t, float step_lr) {
                          const Batch b = sampler.next(o.batch);
                          return train_step(*d.unet, *opt, step_lr, b.input,
                                            [&](const Tensor& y) { return detector_loss(y, b); });
                        },
                    .validate_every = o.validate_every,
                    .validation_name = "validation loss",
                    .on_step = report_every(o.progress, o.steps)};
  keep_sampler_draws(task, sampler);
  if (validation) task.validate = [&] { return (*validation)(*d.unet); };
  loop.run(task);
  d.steps = o.steps;

  // The threshold for counts, on the first training photos.
  Dataset truth;
  std::vector<Annotation> detections;
  const size_t n = std::min(photos.size(), size_t(std::max(0, o.calibration_photos)));
  for (size_t i = 0; i < n; ++i) {
    truth.images.push_back({int64_t(i), "", photos[i].bgr.cols, photos[i].bgr.rows});
    for (const CentreBox& b : photos[i].boxes)
      truth.annotations.push_back(
          {.image_id = int64_t(i),
           .category_id = d.categories[size_t(b.cls)].id,
           .box = {b.cx - b.width / 2, b.cy - b.height / 2, b.width, b.height}});
    for (Annotation& a : detect_photo(d, photos[i].bgr, int64_t(i))) detections.push_back(a);
  }
  if (n > 0) d.score_threshold = count_threshold(truth, detections);
  return d;
}

void save_detector(const std::string& path, Detector& d) {
  nlohmann::json categories = nlohmann::json::array();
  for (const Category& c : d.categories) categories.push_back({{"id", c.id}, {"name", c.name}});
  save_checkpoint(path, *d.unet, nullptr, d.steps,
                  {{"task", "ecology_detector"},
                   {"categories", categories},
                   {"bgr_mean", d.mean},
                   {"bgr_sd", d.sd},
                   {"score_threshold", d.score_threshold}});
}

namespace {

// Heat channels and the two size channels: what the U-Net's output bias holds.
int64_t output_channels(Module& unet) {
  const std::vector<Param*> params = unet.parameters();
  return params.empty() ? 0 : params.back()->value.numel();
}

// The stored categories, each an id and a name, no id twice.
std::vector<Category> stored_categories(const Settings& m) {
  std::vector<Category> out;
  std::set<int64_t> ids;
  for (std::size_t i = 0; i < m.size("categories"); ++i) {
    const Settings c = m.element("categories", i);
    out.push_back({c.require<int64_t>("id"), c.require<std::string>("name")});
    if (!ids.insert(out.back().id).second) c.fail("id", "appears twice");
  }
  if (out.empty()) m.fail("categories", "names no category");
  return out;
}

std::array<double, 3> channel_values(const Settings& m, const char* key, double above) {
  const auto v = m.require<std::array<double, 3>>(key);
  for (double x : v)
    if (!std::isfinite(x) || !(x > above)) m.fail(key, "holds " + std::to_string(x));
  return v;
}

}  // namespace

Detector load_detector(const std::string& path) {
  Checkpoint ck = load_task_checkpoint(path, "ecology_detector",
                                       "an insect detector (train one with tessera ecology train)");
  // A checkpoint edited or corrupted by hand must not index past the network's output.
  const Settings m(ck.metadata, "insect detector " + path);
  Detector d;
  d.unet = std::move(ck.model);
  d.steps = ck.step;
  d.categories = stored_categories(m);
  d.mean = channel_values(m, "bgr_mean", -1);
  d.sd = channel_values(m, "bgr_sd", 0);
  d.score_threshold = m.require<double>("score_threshold");
  if (!(d.score_threshold >= 0 && d.score_threshold <= 1))
    m.fail("score_threshold", "must be in [0, 1]");
  const int64_t channels = output_channels(*d.unet);
  if (channels != int64_t(d.categories.size()) + 2)
    m.fail("categories", "names " + std::to_string(d.categories.size()) +
                             " categories but the network gives " + std::to_string(channels) +
                             " output channels (categories + 2); the file is corrupt");
  return d;
}

std::vector<Annotation> detect_photo(Detector& d, const cv::Mat& bgr, int64_t image_id,
                                     const DetectOptions& o) {
  check_photo(bgr);
  const int64_t classes = int64_t(d.categories.size());
  PhotoSource source(bgr, d);
  std::vector<Annotation> boxes;
  if (o.whole) {
    const Tensor x = source.read(Region::whole(source.info().size));
    const Tensor y = run_whole(*d.unet, x).to_plain();
    if (y.dim(1) != classes + 2)
      throw std::runtime_error("the detector's network gives " + std::to_string(y.dim(1)) +
                               " channels for " + std::to_string(classes) + " classes");
    boxes = decode_centres(y, image_id, o.decode);
  } else {
    CentreCollector collector(classes, source.info().size, o.decode.min_score);
    run_tiled(
        *d.unet, source,
        [&](int64_t channels) -> std::unique_ptr<VolumeSink> {
          if (channels != classes + 2)
            throw std::runtime_error("the detector's network gives " + std::to_string(channels) +
                                     " channels for " + std::to_string(classes) + " classes");
          return std::make_unique<ForwardingSink>(collector);
        },
        o.tile);
    boxes = collector.detections(image_id, o.decode);
  }
  for (Annotation& b : boxes) b.category_id = d.categories[size_t(b.category_id)].id;
  return boxes;
}

}  // namespace tessera::ecology
