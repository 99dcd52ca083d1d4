// The denoiser's training: pairs synthesised on the fly (no noisy clip is ever stored), the
// usual training loop (checkpoints, resume, progress).
#include "tessera/video/denoiser_training.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "frame_blocks.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/ops/space_to_depth.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"
#include "tessera/video/sensor_noise.hpp"
#include "tessera/video/workflow.hpp"

namespace tessera::video {

CleanClip read_clean_clip(VolumeSource& src, const CleanClipRange& r) {
  require_clip(src, "the clean clip", 1);
  const VolumeInfo& info = src.info();
  const int64_t available = info.size[0] - r.first;
  if (r.first < 0 || available <= 0 || r.count < 0 || r.count > available)
    throw std::invalid_argument("the clean clip has " + std::to_string(info.size[0]) +
                                " frames; frames " + std::to_string(r.first) + " .. " +
                                std::to_string(r.first + r.count - 1) + " are not in it");
  const double white = r.white > 0 ? r.white : white_of_clip(src);
  if (white > 65535) throw std::invalid_argument("the clean clip's white is above 16 bits");
  CleanClip clip;
  clip.frames = r.count > 0 ? r.count : available;
  clip.channels = info.channels;
  clip.to_linear.resize(size_t(white) + 1);
  for (size_t v = 0; v < clip.to_linear.size(); ++v)
    clip.to_linear[v] =
        r.linear ? float(double(v) / white) : srgb_to_linear(float(double(v) / white));
  const int depth = white <= 255 ? CV_8U : CV_16U;
  const int h = int(info.size[1]), w = int(info.size[2]);
  constexpr int64_t kBlock = 4;  // frames in memory as floats at once
  for_each_frame_block(
      src, kBlock, clip.frames,
      [&](int64_t, const Tensor& block) {
        const int64_t n = block.dim(2);
        for (int64_t f = 0; f < n; ++f)
          for (int64_t c = 0; c < clip.channels; ++c) {
            const cv::Mat plane(h, w, CV_32F,
                                const_cast<float*>(block.data()) + (c * n + f) * int64_t(h) * w);
            cv::Mat stored;
            plane.convertTo(stored, depth);  // rounds and saturates
            clip.planes.push_back(stored);
          }
      },
      r.first);
  return clip;
}

namespace {

// A crop of plane `plane` at (y, x), flipped / transposed by `turn` (0..7), in linear light.
void linear_crop(const CleanClip& clip, size_t plane, int y, int x, int patch, int turn,
                 float* out) {
  const cv::Mat& m = clip.planes[plane];
  for (int i = 0; i < patch; ++i)
    for (int j = 0; j < patch; ++j) {
      int a = (turn & 4) ? j : i, b = (turn & 4) ? i : j;  // transpose
      if (turn & 1) a = patch - 1 - a;
      if (turn & 2) b = patch - 1 - b;
      const int v = m.depth() == CV_8U ? m.at<uint8_t>(y + a, x + b) : m.at<uint16_t>(y + a, x + b);
      out[i * patch + j] = clip.to_linear[size_t(v)];
    }
}

}  // namespace

DenoiserBatch denoiser_batch(const CleanClip& clip, const CameraProfile& camera, int64_t frames,
                             int64_t shuffle, int64_t patch, int64_t batch, double photons_min,
                             double photons_max, std::mt19937_64& rng) {
  const int64_t half = frames / 2, pixels = patch * patch;
  const int h = clip.planes.front().rows, w = clip.planes.front().cols;
  DenoiserBatch b{Tensor::empty({batch, frames + 2, patch, patch}),
                  Tensor::empty({batch, 1, patch, patch})};
  std::uniform_real_distribution<double> log_photons(std::log(photons_min), std::log(photons_max));
  Tensor clean = Tensor::empty({1, 1, frames, patch, patch});
  for (int64_t s = 0; s < batch; ++s) {
    const int64_t t = std::uniform_int_distribution<int64_t>(half, clip.frames - 1 - half)(rng);
    const int64_t c = std::uniform_int_distribution<int64_t>(0, clip.channels - 1)(rng);
    const int y = std::uniform_int_distribution<int>(0, h - int(patch))(rng);
    const int x = std::uniform_int_distribution<int>(0, w - int(patch))(rng);
    const int turn = std::uniform_int_distribution<int>(0, 7)(rng);
    // Played backwards half the time: motion either way is as likely.
    const bool reverse = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    for (int64_t f = 0; f < frames; ++f) {
      const int64_t source = t - half + (reverse ? frames - 1 - f : f);
      linear_crop(clip, size_t(source * clip.channels + c), y, x, int(patch), turn,
                  clean.data() + f * pixels);
    }
    const double photons = std::exp(log_photons(rng));
    const Tensor noisy =
        raw_to_normalised(add_sensor_noise(clean, camera, photons, rng), camera, photons);
    std::vector<const float*> window;
    for (int64_t f = 0; f < frames; ++f) window.push_back(noisy.data() + f * pixels);
    stack_window(window, pixels, noise_levels(camera, photons),
                 b.input.data() + s * (frames + 2) * pixels);
    const float* clean_mid = clean.data() + half * pixels;
    const float* noisy_mid = window[size_t(half)];
    float* target = b.target.data() + s * pixels;
    for (int64_t i = 0; i < pixels; ++i) target[i] = clean_mid[i] - noisy_mid[i];
  }
  if (shuffle > 1) b = {space_to_depth(b.input, shuffle), space_to_depth(b.target, shuffle)};
  return b;
}

Denoiser train_denoiser(const CleanClip& clip, const CameraProfile& camera,
                        const DenoiserTrainOptions& o) {
  const int64_t frames = o.network.frames;
  if (clip.frames < frames)
    throw SettingError("frames", "the clean clip has " + std::to_string(clip.frames) +
                                     " frames, fewer than the window of " + std::to_string(frames));
  const int64_t stride = o.network.shuffle * (int64_t(1) << (o.network.channels.size() - 1));
  if (o.patch < stride || o.patch % stride)
    throw SettingError(
        "patch", std::to_string(o.patch) + " must be a multiple of " + std::to_string(stride));
  if (o.patch > clip.planes.front().rows || o.patch > clip.planes.front().cols)
    throw SettingError("patch", std::to_string(o.patch) + " px crops do not fit in frames of " +
                                    std::to_string(clip.planes.front().cols) + "x" +
                                    std::to_string(clip.planes.front().rows));
  if (!(o.photons_min > 0) || !(o.photons_max >= o.photons_min))
    throw SettingError("photons", "the exposure range must be positive and not empty");
  check_camera_profile(camera, "camera");
  Denoiser d;
  d.frames = frames;
  d.shuffle = o.network.shuffle;
  d.camera = camera;
  d.photons_min = o.photons_min, d.photons_max = o.photons_max;
  d.network = make_denoiser_network(o.network);
  set_compute_type(*d.network, o.precision);
  auto opt = make_optimizer(o.optimizer, o.optimizer_settings);
  TrainingLoop loop(o.run, d.network, *opt);
  const double lr = o.lr > 0 ? o.lr : default_learning_rate(o.optimizer);
  std::mt19937_64 rng(o.network.seed * 7919 + 29);
  TrainingTask task{.steps = o.steps,
                    .schedule = {.base_lr = lr},
                    .step =
                        [&](int64_t, float step_lr) {
                          const DenoiserBatch b =
                              denoiser_batch(clip, camera, frames, d.shuffle, o.patch, o.batch,
                                             o.photons_min, o.photons_max, rng);
                          return train_step(*d.network, *opt, step_lr, b.input,
                                            [&](const Tensor& y) { return mse_loss(y, b.target); });
                        },
                    .on_step = report_every(o.progress, o.steps)};
  loop.run(task);
  d.steps = o.steps;
  return d;
}

}  // namespace tessera::video
