#pragma once
// What a camera records of a scene when little light reaches it: clean frames in linear light
// become raw numbers (DN) through the camera's noise (camera_profile.hpp), the way the origin
// of this application synthesised its training pairs.
//
//   Tensor linear = display_to_linear(frames_8bit, 255);          // sRGB curve undone
//   Tensor raw = add_sensor_noise(linear, camera, 30, rng);       // 30 electrons at white
//   Tensor x = raw_to_normalised(raw, camera, 30);                // white back near 1
#include <cstdint>
#include <random>

#include "tessera/tensor/tensor.hpp"
#include "tessera/video/camera_profile.hpp"

namespace tessera::video {

// The sRGB transfer curve undone: display value v in [0, 1] -> linear light in [0, 1].
float srgb_to_linear(float v);

// frames of any shape in 0..peak (8-bit video: peak 255) -> linear light in [0, 1].
Tensor display_to_linear(const Tensor& frames, float peak);

// frames [1, C, T, H, W] of linear light in [0, 1] -> raw DN [1, C, T, H, W]: each pixel's
// electrons linear * photons_at_white drawn from Poisson, times the gain, read noise, one row
// offset per channel, frame and row, the black level, rounded and clipped to [0, white].
// Throws std::invalid_argument for another rank or photons_at_white <= 0.
Tensor add_sensor_noise(const Tensor& linear, const CameraProfile& camera, double photons_at_white,
                        std::mt19937_64& rng);

// raw DN -> (DN - black) / (gain * photons_at_white): linear light with white near 1, the scale
// a denoiser works in (a digital gain that brings the exposure back up).
Tensor raw_to_normalised(const Tensor& raw, const CameraProfile& camera, double photons_at_white);

}  // namespace tessera::video
