#pragma once
// A clip read a few frames at a time, so no command needs a whole clip in memory: the one loop
// over time that synthesis, calibration and evaluation share.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "tessera/io/region.hpp"

namespace tessera::video {

// The frames of a clip [T, H, W]; throws naming `what` unless the source is one.
inline void require_clip(const VolumeSource& src, const std::string& what, int64_t min_frames) {
  const auto& size = src.info().size;
  if (size.size() != 3)
    throw std::invalid_argument(what + " must be a clip of frames (time, height, width), got " +
                                to_string(size));
  if (size[0] < min_frames)
    throw std::invalid_argument(what + " has " + std::to_string(size[0]) + " frame(s); at least " +
                                std::to_string(min_frames) + " are needed");
}

// Calls fn(t, block [1, C, n, H, W]) for consecutive blocks of up to `per_block` frames, over
// `max_frames` (0: all) from frame `first`; t counts from `first` (0 is frame `first`).
template <class Fn>
void for_each_frame_block(VolumeSource& src, int64_t per_block, int64_t max_frames, Fn&& fn,
                          int64_t first = 0) {
  const Shape size = src.info().size;
  const int64_t left = size[0] - first;
  const int64_t frames = max_frames > 0 ? std::min(max_frames, left) : left;
  for (int64_t t = 0; t < frames; t += per_block) {
    const int64_t n = std::min(per_block, frames - t);
    fn(t, src.read({{first + t, 0, 0}, {n, size[1], size[2]}}));
  }
}

}  // namespace tessera::video
