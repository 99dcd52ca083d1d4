#pragma once
// Denoising a clip of any length and frame size in bounded memory: along time a window of
// frames slides one frame at a time (the ends mirrored), across space each frame plane runs
// through the exact tiled executor, so the output equals whole-frame inference.
//
//   Denoiser d = load_denoiser("denoiser.h5");
//   auto clip = open_volume("shot.cihx");
//   denoise_frames(d, *clip, {.camera = d.camera, .photons = 40}, [&](int64_t t, const Tensor& f) {
//     ...  // f [1, C, 1, H, W], linear light with white near 1
//   });
#include <cstdint>
#include <functional>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/io/region.hpp"
#include "tessera/tile/tiled.hpp"
#include "tessera/video/denoiser.hpp"

namespace tessera::video {

struct StreamOptions {
  CameraProfile camera{};  // of the clip's camera: its DN -> normalised light and noise
  double photons = 0;      // electrons at white, > 0
  int64_t frames = 0;      // frames denoised from the start; 0: all
  bool whole = false;      // whole-frame inference instead of tiles (for tests)
  TileOptions tile{};
};

// The clip's frames normalised, (DN - black) / (gain * photons), frame t of [1, C, T, H, W].
// Frames before 0 or past the end mirror those inside (t = -1 is frame 1).
int64_t mirrored_frame(int64_t t, int64_t frames);

// The number of frames a stream over `clip` denoises; throws std::invalid_argument for a clip
// that is not [T, H, W] or photons not above 0 (denoise_frames and filter_frames check the same).
int64_t frames_to_denoise(VolumeSource& clip, const StreamOptions& o);

// Calls done(t, frame [1, C, 1, H, W]) for each frame in order. Throws std::invalid_argument
// for a clip that is not [T, H, W] or photons not above 0.
void denoise_frames(Denoiser& d, VolumeSource& clip, const StreamOptions& o,
                    const std::function<void(int64_t, const Tensor&)>& done);

// The same window without a network: filter(window planes [H, W] CV_32F normalised, in time
// order) gives the middle plane's result; for the classical baselines.
using PlaneFilter = std::function<cv::Mat(const std::vector<cv::Mat>&)>;
void filter_frames(VolumeSource& clip, const StreamOptions& o, int64_t window,
                   const PlaneFilter& filter,
                   const std::function<void(int64_t, const Tensor&)>& done);

// The exposure that brings a clip's bright end to white: photons such that the 99.5th
// percentile of (DN - black) / gain over its first frames is 1 (at least 1 electron).
double exposure_of_clip(VolumeSource& clip, const CameraProfile& camera);

}  // namespace tessera::video
