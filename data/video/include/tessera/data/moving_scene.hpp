#pragma once
// A clean colour clip of known motion: discs with their own texture sliding at constant speed
// over a textured background, the kind of content a denoiser must follow across frames; for the
// demo, which ships no video, and for tests.
//
//   Tensor clip = moving_scene({.frames = 24, .width = 256, .height = 192});  // [1,3,T,H,W]
//   write_moving_scene({.output = "scene"});                                 // 8-bit frames
#include <cstdint>
#include <string>

#include "tessera/tensor/tensor.hpp"

namespace tessera::data {

struct MovingScene {
  std::string output{};  // a folder of 8-bit TIFF frames, or any clip formats/ writes
  int64_t frames = 24;
  int64_t width = 256, height = 192;
  int discs = 6;
  uint64_t seed = 0;
};

// [1, 3, frames, height, width], display values 0..255. Throws std::invalid_argument for a size
// below 16 x 16 or no frames.
Tensor moving_scene(const MovingScene& s);

// Writes moving_scene(s) to s.output (a name without extension is a folder of frames).
void write_moving_scene(const MovingScene& s);

}  // namespace tessera::data
