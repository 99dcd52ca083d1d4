#pragma once
// The multi-frame denoiser: a U-Net that sees a window of neighbouring frames of one colour
// plane (early fusion: the frames are its input channels) and two noise-level planes, and
// gives the correction of the middle frame. Working in linear light with white near 1 and told
// the noise level, one network covers every exposure of the camera it was trained for.
//
// With shuffle 2 the network sees each 2 x 2 block of pixels as channels, as FFDNet does: a
// quarter of the positions and twice the reach for the same widths. At the default widths that
// loses most of the gain (19.6 against 29.4 dB at 30 electrons after 600 steps): four pixels'
// corrections do not fit through 16 channels, so the default is full resolution.
//
// Why early fusion rather than FastDVDnet's two stages or a recurrent network: on 2 CPU cores
// the cost per frame decides what can run, and one U-Net pass per frame is the cheapest design
// that still lets the network align motion itself across the window; FastDVDnet spends two to
// four U-Net passes per frame, a recurrent design cannot be tiled exactly along time.
//
//   Denoiser d = train_denoiser(pairs, {...});
//   float noise[2]; noise_levels(camera, photons, noise);
//   stack_window(frames, pixels, noise, input);   // [frames + 2, pixels]
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tessera/nn/module.hpp"
#include "tessera/video/camera_profile.hpp"

namespace tessera::video {

struct DenoiserOptions {
  int64_t frames = 5;   // the window, odd; 1: a single-frame network
  int64_t shuffle = 1;  // each shuffle x shuffle block of pixels becomes channels (FFDNet)
  std::vector<int64_t> channels = {16, 32, 64};  // the U-Net's, per level
  bool reversible = false;                       // reversible levels: activation memory flat
  uint64_t seed = 0;
};

struct Denoiser {
  // [N, (frames + 2) s^2, H / s, W / s] -> [N, s^2, H / s, W / s], the correction with each
  // s x s block of pixels as channels (s = shuffle; space_to_depth).
  std::unique_ptr<Module> network;
  int64_t frames = 5;
  int64_t shuffle = 1;
  CameraProfile camera{};                   // the noise it was trained on
  double photons_min = 0, photons_max = 0;  // the exposures it was trained on
  int64_t steps = 0;
};

// Throws std::invalid_argument for an even or non-positive window or no levels.
std::unique_ptr<Module> make_denoiser_network(const DenoiserOptions& o);

// The two noise planes of frames in normalised linear light (x = (DN - black) / (gain *
// photons)), whose variance is x * shot^2 + read^2: {shot, read}.
std::array<float, 2> noise_levels(const CameraProfile& camera, double photons_at_white);

// The network's input at `pixels` positions: each of the window's frames (in time order), then
// the two noise planes, plane after plane into `out` (frames.size() + 2 planes).
void stack_window(const std::vector<const float*>& frames, int64_t pixels,
                  const std::array<float, 2>& noise, float* out);

// The stored model: network, window, camera and exposures, under task "video_denoiser".
void save_denoiser(const std::string& path, Denoiser& d);
Denoiser load_denoiser(const std::string& path);

}  // namespace tessera::video
