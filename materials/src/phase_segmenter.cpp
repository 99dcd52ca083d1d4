#include "tessera/materials/phase_segmenter.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "crops.hpp"
#include "score_pooling.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera::materials {

namespace {

constexpr const char* kTask = "materials_phase_segmenter";

struct Batch {
  Tensor input;   // [B,1,P,P]
  Tensor target;  // [B,K,1,1], 0/1
};

// Random crops of random regions, each flipped and turned at random (micrographs have no up).
class RegionSampler {
 public:
  RegionSampler(const std::vector<TaggedRegion>& regions, int64_t patch, uint64_t seed)
      : regions_(regions), patch_(patch), rng_(seed) {}

  Batch next(int64_t batch) {
    const int64_t k = int64_t(regions_.front().present.size());
    Batch b{Tensor::empty({batch, 1, patch_, patch_}), Tensor::empty({batch, k, 1, 1})};
    std::uniform_int_distribution<size_t> pick(0, regions_.size() - 1);
    for (int64_t i = 0; i < batch; ++i) {
      const TaggedRegion& r = regions_[pick(rng_)];
      put_crop(b.input, i, random_crop(r.pixels, int(patch_), rng_));
      for (int64_t c = 0; c < k; ++c) b.target.data()[i * k + c] = r.present[size_t(c)] ? 1.f : 0.f;
    }
    return b;
  }

 private:
  const std::vector<TaggedRegion>& regions_;
  int64_t patch_;
  std::mt19937_64 rng_;
};

// Random crops of regions and their pseudo-masks, the same turn for both.
class MaskSampler {
 public:
  MaskSampler(std::vector<cv::Mat> pairs, int64_t patch, uint64_t seed)
      : pairs_(std::move(pairs)), patch_(int(patch)), rng_(seed) {}

  std::pair<Tensor, Tensor> next(int64_t batch) {
    Tensor input = Tensor::empty({batch, 1, patch_, patch_}),
           labels = Tensor::empty({batch, 1, patch_, patch_});
    for (int64_t i = 0; i < batch; ++i) {
      cv::Mat planes[2];
      cv::split(random_crop(pairs_[rng_() % pairs_.size()], patch_, rng_), planes);
      put_crop(input, i, planes[0]);
      put_crop(labels, i, planes[1]);
    }
    return {input, labels};
  }

 private:
  std::vector<cv::Mat> pairs_;  // CV_32FC2: standardised pixels, phase index
  int patch_;
  std::mt19937_64 rng_;
};

// The second network, trained pixel by pixel on the weak one's pseudo-masks.
std::unique_ptr<Module> refined_network(PhaseSegmenter& weak,
                                        const std::vector<TaggedRegion>& regions,
                                        const SegmenterTrainOptions& o) {
  std::vector<cv::Mat> pairs;
  for (const TaggedRegion& r : regions) {
    cv::Mat mask, pair;
    pseudo_mask(weak, r).convertTo(mask, CV_32F);
    cv::merge(std::vector<cv::Mat>{standardised(r.pixels), mask}, pair);
    pairs.push_back(pair);
  }
  std::unique_ptr<Module> unet = make_unet({.dims = 2,
                                            .in_channels = 1,
                                            .out_channels = int64_t(weak.phases.size()),
                                            .channels = o.channels,
                                            .seed = o.seed + 2});
  set_compute_type(*unet, o.precision);
  auto opt = make_optimizer(nlohmann::json{{"type", "adam"}});
  TrainingLoop loop(RunSettings{.progress = o.run.progress, .device = o.run.device}, unet, *opt);
  MaskSampler sampler(std::move(pairs), o.patch, o.seed * 7919 + 12);
  loop.run({.steps = o.refine_steps,
            .schedule = {.base_lr = o.lr},
            .step =
                [&](int64_t, float lr) {
                  const auto [input, labels] = sampler.next(o.batch);
                  return train_step(*unet, *opt, lr, input, [&](const Tensor& y) {
                    return softmax_cross_entropy_loss(y, labels);
                  });
                },
            .on_step = report_every(o.progress, o.refine_steps)});
  return unet;
}

void check_regions(const std::vector<TaggedRegion>& regions, size_t phases, int64_t patch) {
  if (regions.empty()) throw std::invalid_argument("phase segmenter: no tagged regions");
  if (patch < 16 || patch % 8 != 0)
    throw SettingError("patch", std::to_string(patch) + " must be a multiple of 8, at least 16");
  for (const TaggedRegion& r : regions) {
    if (r.present.size() != phases)
      throw std::invalid_argument("phase segmenter: " + r.name + " has " +
                                  std::to_string(r.present.size()) + " tags for " +
                                  std::to_string(phases) + " phases");
    if (r.pixels.rows < patch || r.pixels.cols < patch)
      throw SettingError("patch", r.name + " (" + std::to_string(r.pixels.cols) + "x" +
                                      std::to_string(r.pixels.rows) + ") is smaller than the " +
                                      std::to_string(patch) + " px crops; lower it");
  }
}

// The micrograph as the network's input [1,1,H,W].
class MicrographSource final : public VolumeSource {
 public:
  explicit MicrographSource(const cv::Mat& pixels) : pixels_(standardised(pixels)) {
    info_.channels = 1;
    info_.size = {pixels_.rows, pixels_.cols};
    info_.description = "micrograph";
  }
  const VolumeInfo& info() const override { return info_; }
  Tensor read(const Region& r) override {
    Tensor t = Tensor::empty({1, 1, r.size[0], r.size[1]});
    for (int64_t y = 0; y < r.size[0]; ++y) {
      const float* row = pixels_.ptr<float>(int(r.origin[0] + y)) + r.origin[1];
      std::copy(row, row + r.size[1], t.data() + y * r.size[1]);
    }
    return t;
  }

 private:
  cv::Mat pixels_;
  VolumeInfo info_;
};

// Collects the executor's rows into one score tensor.
class ScoreSink final : public VolumeSink {
 public:
  ScoreSink(Tensor& out) : out_(out) {}
  void write(const Region& r, const Tensor& data) override {
    const Tensor d = data.to_plain();
    const int64_t k = out_.dim(1), h = out_.dim(2), w = out_.dim(3);
    for (int64_t c = 0; c < k; ++c)
      for (int64_t y = 0; y < r.size[0]; ++y)
        std::copy(d.data() + (c * r.size[0] + y) * r.size[1],
                  d.data() + (c * r.size[0] + y + 1) * r.size[1],
                  out_.data() + (c * h + r.origin[0] + y) * w + r.origin[1]);
  }
  void commit() override {}

 private:
  Tensor& out_;
};

// The same with log-sum-exp pooling, (1/r) log mean exp(r s): between the mean (r -> 0) and the
// maximum (r -> infinity), so a phase covering a small part of a region can still be present
// without the whole region scoring it.
LossResult log_sum_exp_tag_loss(const Tensor& plain, const Tensor& target, double r,
                                const LossOptions& lo) {
  const int64_t maps = plain.dim(0) * plain.dim(1), pixels = plain.dim(2) * plain.dim(3);
  Tensor pooled = Tensor::empty({plain.dim(0), plain.dim(1), 1, 1});
  std::vector<double> weights(size_t(maps * pixels));
  for (int64_t m = 0; m < maps; ++m) {
    const float* s = plain.data() + m * pixels;
    const double top = *std::max_element(s, s + pixels);
    double sum = 0;
    for (int64_t i = 0; i < pixels; ++i)
      sum += weights[size_t(m * pixels + i)] = std::exp(r * (s[i] - top));
    for (int64_t i = 0; i < pixels; ++i) weights[size_t(m * pixels + i)] /= sum;
    pooled.data()[m] = float(top + std::log(sum / double(pixels)) / r);
  }
  LossResult loss = bce_with_logits_loss(pooled, target, lo);
  const Tensor g = loss.grad.to_plain();
  loss.grad = Tensor::empty(plain.shape());
  for (int64_t m = 0; m < maps; ++m)
    for (int64_t i = 0; i < pixels; ++i)
      loss.grad.data()[m * pixels + i] = float(g.data()[m] * weights[size_t(m * pixels + i)]);
  return loss;
}

}  // namespace

LossResult pooled_tag_loss(const Tensor& scores, const Tensor& target, double sharpness,
                           int background) {
  const Tensor plain = scores.to_plain();
  LossOptions lo;
  if (background >= 0) {
    lo.mask = Tensor::full(target.shape(), 1.f);
    for (int64_t i = 0; i < target.dim(0); ++i) lo.mask.data()[i * target.dim(1) + background] = 0;
  }
  if (sharpness > 0) return log_sum_exp_tag_loss(plain, target, sharpness, lo);
  return mean_pooled_loss(
      plain, [&](const Tensor& pooled) { return bce_with_logits_loss(pooled, target, lo); });
}

PhaseSegmenter train_phase_segmenter(const std::vector<TaggedRegion>& regions,
                                     std::vector<std::string> phases,
                                     const SegmenterTrainOptions& o) {
  check_regions(regions, phases.size(), o.patch);
  std::vector<TaggedRegion> inputs = regions;
  for (TaggedRegion& r : inputs) r.pixels = standardised(r.pixels);
  PhaseSegmenter s;
  s.phases = std::move(phases);
  s.unet = make_unet({.dims = 2,
                      .in_channels = 1,
                      .out_channels = int64_t(s.phases.size()),
                      .channels = o.channels,
                      .seed = o.seed + 1});
  set_compute_type(*s.unet, o.precision);
  auto opt = make_optimizer(nlohmann::json{{"type", "adam"}});
  TrainingLoop loop(o.run, s.unet, *opt);
  RegionSampler sampler(inputs, o.patch, o.seed * 7919 + 11);
  TrainingTask task{.steps = o.steps,
                    .schedule = {.base_lr = o.lr},
                    .step =
                        [&](int64_t, float lr) {
                          const Batch b = sampler.next(o.batch);
                          return train_step(*s.unet, *opt, lr, b.input, [&](const Tensor& y) {
                            return pooled_tag_loss(y, b.target, o.sharpness, o.background);
                          });
                        },
                    .on_step = report_every(o.progress, o.steps)};
  loop.run(task);
  s.steps = o.steps;
  s.patch = o.patch;
  s.background = o.background;
  if (o.refine_steps > 0) {
    s.unet = refined_network(s, regions, o);
    s.steps += o.refine_steps;
    s.pixelwise = true, s.background = -1;
  }
  return s;
}

void save_phase_segmenter(const std::string& path, PhaseSegmenter& s) {
  save_checkpoint(path, *s.unet, nullptr, s.steps,
                  {{"task", kTask},
                   {"phases", s.phases},
                   {"um_per_px", s.um_per_px},
                   {"patch", s.patch},
                   {"background", s.background},
                   {"pixelwise", s.pixelwise}});
}

PhaseSegmenter load_phase_segmenter(const std::string& path) {
  Checkpoint ck = load_task_checkpoint(
      path, kTask, "a phase segmenter (train one with tessera materials train-segmenter)");
  const Settings m(ck.metadata, "phase segmenter " + path);
  PhaseSegmenter s{std::move(ck.model), m.require<std::vector<std::string>>("phases"),
                   m.require<double>("um_per_px"), ck.step, m.get<int64_t>("patch", 96)};
  if (s.phases.empty() || s.phases.size() > 255) m.fail("phases", "must name 1 to 255 phases");
  if (!(s.um_per_px >= 0)) m.fail("um_per_px", "must be zero or more");
  s.background = m.get<int>("background", -1);
  s.pixelwise = m.get<bool>("pixelwise", false);
  if (s.background < -1 || s.background >= int(s.phases.size()))
    m.fail("background", "must name one of the phases (an index) or be -1");
  return s;
}

Tensor phase_scores(PhaseSegmenter& s, const cv::Mat& pixels, const SegmentOptions& o) {
  MicrographSource source(pixels);
  const int64_t k = int64_t(s.phases.size());
  if (o.whole) return run_whole(*s.unet, source.read(Region::whole(source.info().size))).to_plain();
  Tensor scores = Tensor::empty({1, k, pixels.rows, pixels.cols});
  run_tiled(
      *s.unet, source,
      [&](int64_t channels) -> std::unique_ptr<VolumeSink> {
        if (channels != k)
          throw std::runtime_error("the segmenter's network gives " + std::to_string(channels) +
                                   " score maps for " + std::to_string(k) + " phases");
        return std::make_unique<ScoreSink>(scores);
      },
      o.tile);
  return scores;
}

cv::Mat phase_map(const Tensor& scores, int window, int background) {
  const Tensor t = scores.to_plain();
  const int k = int(t.dim(1)), h = int(t.dim(2)), w = int(t.dim(3));
  std::vector<cv::Mat> maps, present;
  const cv::Mat everywhere(h, w, CV_8UC1, cv::Scalar(255));
  for (int c = 0; c < k; ++c) {
    if (c == background) {
      maps.push_back(cv::Mat::zeros(h, w, CV_32FC1));
      present.push_back(everywhere);
      continue;
    }
    maps.emplace_back(h, w, CV_32FC1, const_cast<float*>(t.data()) + int64_t(c) * h * w);
    cv::Mat local;
    if (window > 1) cv::blur(maps.back(), local, {window, window}, {-1, -1}, cv::BORDER_REFLECT);
    present.push_back(window > 1 ? local > 0 : everywhere);
  }
  cv::Mat labels(h, w, CV_8UC1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      int best = -1, any = 0;
      for (int c = 0; c < k; ++c) {
        if (maps[size_t(c)].at<float>(y, x) > maps[size_t(any)].at<float>(y, x)) any = c;
        if (present[size_t(c)].at<uint8_t>(y, x) &&
            (best < 0 || maps[size_t(c)].at<float>(y, x) > maps[size_t(best)].at<float>(y, x)))
          best = c;
      }
      labels.at<uint8_t>(y, x) = uint8_t(best >= 0 ? best : any);
    }
  return labels;
}

cv::Mat pseudo_mask(PhaseSegmenter& s, const TaggedRegion& r) {
  const Tensor scores = phase_scores(s, r.pixels, {.whole = true});  // regions are small
  const int k = int(scores.dim(1)), h = int(scores.dim(2)), w = int(scores.dim(3));
  const bool any = std::find(r.present.begin(), r.present.end(), true) != r.present.end();
  cv::Mat mask(h, w, CV_8UC1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      int best = -1;
      for (int c = 0; c < k; ++c)
        if ((!any || r.present[size_t(c)]) &&
            (best < 0 || scores.data()[(int64_t(c) * h + y) * w + x] >
                             scores.data()[(int64_t(best) * h + y) * w + x]))
          best = c;
      mask.at<uint8_t>(y, x) = uint8_t(best);
    }
  return mask;
}

cv::Mat segment_micrograph(PhaseSegmenter& s, const Micrograph& m, const SegmentOptions& o) {
  return mapped_at(m, s.um_per_px, [&](const cv::Mat& pixels) {
    return phase_map(phase_scores(s, pixels, o), o.presence && !s.pixelwise ? int(s.patch) : 0,
                     s.background);
  });
}

}  // namespace tessera::materials
