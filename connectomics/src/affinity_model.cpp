#include "tessera/connectomics/affinity_model.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <stdexcept>

#include "tessera/dist/data_parallel.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/ops/shape_ops.hpp"
#include "tessera/train/trainer.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::connectomics {

namespace {

// One crop's geometry: where it starts, how it is flipped and whether y and x swap.
struct CropTransform {
  Shape start;   // z, y, x in the volume, of the crop with its margins
  Shape extent;  // z, y, x of the crop with its margins
  bool flip[3] = {false, false, false};
  bool transpose = false;  // y <-> x (extent[1] == extent[2])
};

// out[z, y, x] = in[source of (z, y, x)] for a crop of `t.extent` from a volume of `size`.
template <typename T>
std::vector<T> gather(const T* in, const Shape& size, const CropTransform& t) {
  const int64_t d = t.extent[0], h = t.extent[1], w = t.extent[2];
  std::vector<T> out(size_t(d * h * w));
  for (int64_t z = 0; z < d; ++z)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        int64_t sz = t.flip[0] ? d - 1 - z : z, sy = t.flip[1] ? h - 1 - y : y,
                sx = t.flip[2] ? w - 1 - x : x;
        if (t.transpose) std::swap(sy, sx);
        const int64_t src =
            ((t.start[0] + sz) * size[1] + t.start[1] + sy) * size[2] + t.start[2] + sx;
        out[size_t((z * h + y) * w + x)] = in[src];
      }
  return out;
}

// [1, C, D, H, W] interior of a [1, C, *ext] tensor: margins m cut from both sides.
Tensor interior(const Tensor& t, const Shape& m, const Shape& patch) {
  const int64_t c = t.dim(1), D = t.dim(2), H = t.dim(3), W = t.dim(4);
  Tensor out = Tensor::empty({1, c, patch[0], patch[1], patch[2]});
  for (int64_t k = 0; k < c; ++k)
    for (int64_t z = 0; z < patch[0]; ++z)
      for (int64_t y = 0; y < patch[1]; ++y) {
        const float* src = t.data() + ((k * D + z + m[0]) * H + y + m[1]) * W + m[2];
        std::copy_n(src, patch[2], out.data() + ((k * patch[0] + z) * patch[1] + y) * patch[2]);
      }
  return out;
}

struct Sample {
  Tensor raw, target, mask;  // [1, 1 or C, *patch]
};

class CropSampler {
 public:
  // Without `augment`: crops as they are (no flips, transposition or intensity change).
  CropSampler(const Tensor& raw, const LabelVolume& labels, const AffinityTrainOptions& o,
              double mean, double sd, uint64_t seed, bool augment = true)
      : raw_(raw), labels_(labels), o_(o), mean_(mean), sd_(sd), rng_(seed), augment_(augment) {
    const Shape& s = labels.size;
    patch_ = o.patch;
    for (size_t a = 0; a < 3; ++a) {
      patch_[a] = std::min(patch_[a], s[a] / 4 * 4);
      if (patch_[a] < 4)
        throw std::invalid_argument("training volume " + to_string(s) +
                                    " is too small: every axis needs at least 4 voxels");
    }
    // Margins hold the voxels the offsets reach, so that targets near the crop's edge are
    // known; both sides alike, so flips keep the crop in the middle.
    Shape reach(3, 0);
    for (const Offset& off : o.offsets) {
      reach[0] = std::max(reach[0], std::abs(off.z));
      reach[1] = std::max(reach[1], std::abs(off.y));
      reach[2] = std::max(reach[2], std::abs(off.x));
    }
    margin_.resize(3);
    for (size_t a = 0; a < 3; ++a) margin_[a] = std::min(reach[a], (s[a] - patch_[a]) / 2);
    margin_[1] = margin_[2] = std::min(margin_[1], margin_[2]);
    can_transpose_ = patch_[1] == patch_[2];
  }

  const Shape& patch() const { return patch_; }
  // The draws so far, as text: a checkpoint keeps it so that a resumed run sees the same crops.
  std::string state() const { return rng_text(rng_); }
  void restore(const nlohmann::json& state) { restore_rng(rng_, state); }

  Sample next() {
    std::uniform_real_distribution<double> u(0, 1);
    CropTransform t;
    t.extent.resize(3);
    t.start.resize(3);
    for (size_t a = 0; a < 3; ++a) {
      t.extent[a] = patch_[a] + 2 * margin_[a];
      const int64_t span = labels_.size[a] - t.extent[a];
      t.start[a] = int64_t(u(rng_) * double(span + 1));
      t.flip[a] = augment_ && u(rng_) < 0.5;
    }
    t.transpose = augment_ && can_transpose_ && u(rng_) < 0.5;
    const std::vector<float> raw = gather(raw_.data(), labels_.size, t);
    const std::vector<uint64_t> ids = gather(labels_.ids.data(), labels_.size, t);
    const AffinityTargets a = affinity_targets(ids, t.extent, o_.offsets);
    Tensor x = Tensor::empty({1, 1, t.extent[0], t.extent[1], t.extent[2]});
    const double scale = augment_ ? 0.8 + 0.4 * u(rng_) : 1,
                 shift = augment_ ? 0.4 * (u(rng_) - 0.5) : 0;
    for (size_t i = 0; i < raw.size(); ++i)
      x.data()[i] = float(((raw[i] - mean_) / sd_) * scale + shift);
    return {interior(x, margin_, patch_), interior(a.target, margin_, patch_),
            interior(a.mask, margin_, patch_)};
  }

 private:
  const Tensor& raw_;
  const LabelVolume& labels_;
  const AffinityTrainOptions& o_;
  double mean_, sd_;
  std::mt19937_64 rng_;
  bool augment_;
  Shape patch_, margin_;
  bool can_transpose_ = false;
};

// The validation score of `o.validation_raw`: the mean masked loss over fixed crops of it (the
// same crops every time and on every rank), normalised as the training volume.
class ValidationLoss {
 public:
  ValidationLoss(const AffinityTrainOptions& o, double mean, double sd) {
    const Tensor raw = o.validation_raw.to_plain();
    check_training_volumes(raw, o.validation_labels);
    CropSampler sampler(raw, o.validation_labels, o, mean, sd, o.seed * 7919 + 4099, false);
    for (int64_t i = 0; i < std::max<int64_t>(o.batch, 4); ++i) crops_.push_back(sampler.next());
  }
  Validation operator()(Module& net) const {
    double sum = 0;
    for (const Sample& s : crops_)
      sum += bce_with_logits_loss(forward_on_model_device(net, s.raw, Mode::eval), s.target,
                                  {.mask = s.mask})
                 .value;
    return {sum / double(crops_.size())};
  }

 private:
  std::vector<Sample> crops_;
};

}  // namespace

std::unique_ptr<Module> make_affinity_unet(const AffinityTrainOptions& o) {
  std::unique_ptr<Module> unet = make_unet({.dims = 3,
                                            .out_channels = int64_t(o.offsets.size()),
                                            .channels = o.channels,
                                            .reversible = o.reversible,
                                            .seed = o.seed + 1});
  set_compute_type(*unet, o.precision);
  return unet;
}

void check_train_options(const AffinityTrainOptions& o, int ranks) {
  if (o.patch.size() != 3) throw SettingError("patch", "needs three sizes, z, y and x");
  for (int64_t p : o.patch)
    if (p < 4 || p % 4) throw SettingError("patch", "sizes must be multiples of 4");
  if (o.validate_every < 1) throw SettingError("validate_every", "must be at least 1");
  if (o.batch < 1 || o.batch % ranks)
    throw SettingError("batch", std::to_string(o.batch) +
                                    " must be a multiple of the number of ranks (" +
                                    std::to_string(ranks) + ")");
}

void check_training_volumes(const Tensor& raw, const LabelVolume& labels) {
  if (raw.ndim() != 5 || raw.dim(0) != 1 || raw.dim(1) != 1)
    throw std::invalid_argument("the raw volume must be one single-channel [1,1,D,H,W], not " +
                                to_string(raw.shape()));
  const Shape size{raw.dim(2), raw.dim(3), raw.dim(4)};
  if (size != labels.size)
    throw std::invalid_argument("raw " + to_string(size) + " and labels " + to_string(labels.size) +
                                " differ in size");
}

AffinityModel train_affinity_model(const Tensor& raw_in, const LabelVolume& labels,
                                   const AffinityTrainOptions& o, Communicator* comm) {
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  check_train_options(o, ranks);
  const Tensor raw = raw_in.to_plain();
  check_training_volumes(raw, labels);
  if (o.offsets.size() < 3) throw std::invalid_argument("affinities need at least 3 offsets");
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < raw.numel(); ++i) {
    const double v = raw.data()[i];
    if (!std::isfinite(v)) throw std::invalid_argument("raw volume holds NaN or infinity");
    sum += v, sq += v * v;
  }
  AffinityModel m;
  m.offsets = o.offsets;
  m.mean = sum / double(raw.numel());
  m.sd = std::sqrt(std::max(1e-12, sq / double(raw.numel()) - m.mean * m.mean));
  std::unique_ptr<Module> unet = make_affinity_unet(o);
  auto opt = make_optimizer(o.optimizer, o.optimizer_settings);
  TrainingLoop loop(o.run, unet, *opt, comm);
  std::unique_ptr<GradientSync> sync;  // after the loop, which may resume `unet`
  if (comm) sync = std::make_unique<GradientSync>(*unet, *comm);
  const double lr = o.lr > 0 ? o.lr : default_learning_rate(o.optimizer);
  CropSampler sampler(raw, labels, o, m.mean, m.sd, o.seed * 7919 + uint64_t(rank));
  std::optional<ValidationLoss> validation;
  if (o.validation_raw.defined()) validation.emplace(o, m.mean, m.sd);
  TrainingTask task{
      .steps = o.steps,
      .schedule = {.base_lr = lr},
      .step =
          [&](int64_t, float step_lr) {
            std::vector<Tensor> xs, ts, ms;
            for (int64_t i = 0; i < o.batch / ranks; ++i) {
              Sample s = sampler.next();
              xs.push_back(s.raw), ts.push_back(s.target), ms.push_back(s.mask);
            }
            const Tensor x = concat(xs, 0), t = concat(ts, 0), mk = concat(ms, 0);
            return train_step(
                *unet, *opt, step_lr, x,
                [&](const Tensor& y) { return bce_with_logits_loss(y, t, {.mask = mk}); },
                sync.get());
          },
      .validate_every = o.validate_every,
      .validation_name = "validation loss",
      .on_step = report_every(o.progress, o.steps)};
  keep_sampler_draws(task, sampler);
  if (validation) task.validate = [&] { return (*validation)(*unet); };
  loop.run(task);
  m.unet = std::move(unet);
  m.steps = o.steps;
  return m;
}

void save_affinity_model(const std::string& path, AffinityModel& m) {
  nlohmann::json offsets = nlohmann::json::array();
  for (const Offset& off : m.offsets) offsets.push_back({off.z, off.y, off.x});
  nlohmann::json metadata = {{"task", "connectomics_affinities"},
                             {"offsets", offsets},
                             {"raw_mean", m.mean},
                             {"raw_sd", m.sd}};
  if (m.segmentation) metadata["segmentation"] = to_json(*m.segmentation);
  save_checkpoint(path, *m.unet, nullptr, m.steps, metadata);
}

AffinityModel load_affinity_model(const std::string& path) {
  Checkpoint ck = load_task_checkpoint(
      path, "connectomics_affinities",
      "a connectomics affinity model (train one with tessera connectomics train)");
  AffinityModel m;
  m.unet = std::move(ck.model);
  m.steps = ck.step;
  m.mean = ck.metadata.at("raw_mean").get<double>();
  m.sd = ck.metadata.at("raw_sd").get<double>();
  if (ck.metadata.contains("segmentation"))
    m.segmentation = segmentation_settings_from_json(ck.metadata.at("segmentation"), path);
  for (const auto& off : ck.metadata.at("offsets"))
    m.offsets.push_back(
        {off.at(0).get<int64_t>(), off.at(1).get<int64_t>(), off.at(2).get<int64_t>()});
  return m;
}

std::unique_ptr<Module> prediction_network(AffinityModel m) {
  auto net = std::make_unique<Sequential>();
  // (x - mean) / sd as a 1x1x1 convolution: pointwise, so tiling stays exact.
  auto normalise = std::make_unique<Conv>(ConvOptions{.kernel = {1, 1, 1}});
  normalise->weight().value.data()[0] = float(1 / m.sd);
  normalise->bias().value.data()[0] = float(-m.mean / m.sd);
  move_to(*normalise, device_of(*m.unet));  // where the U-Net already is
  net->add(std::move(normalise));
  net->add(std::move(m.unet));
  net->add(std::make_unique<Act>(Activation::sigmoid));
  return net;
}

}  // namespace tessera::connectomics
