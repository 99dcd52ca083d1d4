#pragma once
// Training the denoiser on pairs made on the fly: windows of clean frames, cropped, flipped and
// turned at random, go dark and noisy through the camera's noise at an exposure drawn
// log-uniformly from a range, so one model learns every exposure in it.
//
//   CleanClip clip = read_clean_clip(*open_volume("cockatoo.mp4"), {.count = 200});
//   Denoiser d = train_denoiser(clip, camera, {.steps = 2000});
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/io/region.hpp"
#include "tessera/train/training_loop.hpp"
#include "tessera/video/denoiser.hpp"

namespace tessera::video {

// Clean frames at their stored depth (8 or 16 bit; a 720p clip of 200 colour frames is 550 MB
// at 8 bits) with the map from a stored value to linear light.
struct CleanClip {
  std::vector<cv::Mat> planes{};  // plane t * channels + c, CV_8U or CV_16U
  int64_t frames = 0, channels = 0;
  std::vector<float> to_linear{};  // stored value -> linear light in 0..1
};

struct CleanClipRange {
  int64_t first = 0;    // first frame read
  int64_t count = 0;    // frames read; 0: to the end
  double white = 0;     // 0: white_of_clip
  bool linear = false;  // stored values are linear light, not sRGB
};

// Throws std::invalid_argument naming the clip for a range outside it or a white above 65535.
CleanClip read_clean_clip(VolumeSource& src, const CleanClipRange& r);

struct DenoiserTrainOptions {
  DenoiserOptions network{};
  int64_t patch = 64;  // crop edge, a multiple of 2^(levels - 1)
  int64_t batch = 8;
  int steps = 3000;
  double photons_min = 5, photons_max = 300;  // the exposures learnt, electrons at white
  std::string optimizer = "adam";
  std::string optimizer_settings{};
  double lr = 0;                       // 0: the optimizer's default
  DataType precision = DataType::f32;  // the convolutions' (ConvParams::compute)
  std::function<void(int step, float loss)> progress{};
  RunSettings run{};
};

// Throws SettingError naming the setting for a crop larger than the frames, a clip shorter than
// the window, or an exposure range that is empty or not positive.
Denoiser train_denoiser(const CleanClip& clip, const CameraProfile& camera,
                        const DenoiserTrainOptions& o);

// One batch of pairs: input [B, frames + 2, P, P] (noisy window, noise planes), target
// [B, 1, P, P] (the clean middle frame minus the noisy one: the correction), each then
// space_to_depth by `shuffle` (1: as they are). Public for tests.
struct DenoiserBatch {
  Tensor input, target;
};
DenoiserBatch denoiser_batch(const CleanClip& clip, const CameraProfile& camera, int64_t frames,
                             int64_t shuffle, int64_t patch, int64_t batch, double photons_min,
                             double photons_max, std::mt19937_64& rng);

}  // namespace tessera::video
