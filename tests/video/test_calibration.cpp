// Calibration recovers the profile that synthesised its dark and flat clips.
#include <gtest/gtest.h>

#include <random>

#include "error_of.hpp"
#include "tessera/video/calibration.hpp"
#include "tessera/video/sensor_noise.hpp"

namespace tessera::video {
namespace {

using tessera::testing::error_of;

CameraProfile true_camera() {
  CameraProfile c;
  c.gain = 3.5, c.read_noise_dn = 4, c.row_noise_dn = 2, c.black_level = 240;
  c.white_level = 4095, c.bits = 12;
  return c;
}

// A still scene of uneven light (a ramp, as a real flat field never is even) at `level`.
TensorSource clip(const CameraProfile& c, float level, uint64_t seed) {
  const int64_t t = 24, h = 96, w = 128;
  Tensor light = Tensor::empty({1, 1, t, h, w});
  float* p = light.data();
  for (int64_t i = 0; i < light.numel(); ++i) p[i] = level * (0.5f + float(i % w) / float(w));
  std::mt19937_64 rng(seed);
  return TensorSource(add_sensor_noise(light, c, 1000, rng).reshape({1, 1, t, h, w}));
}

TEST(Calibration, RecoversTheProfileThatMadeTheClips) {
  const CameraProfile truth = true_camera();
  TensorSource dark = clip(truth, 0, 1);
  TensorSource low = clip(truth, 0.1f, 2), mid = clip(truth, 0.4f, 3);
  const CameraProfile p = calibrate_camera(dark, {&low, &mid}, {.bits = 12});
  EXPECT_NEAR(p.black_level, truth.black_level, 0.1);
  EXPECT_NEAR(p.read_noise_dn, truth.read_noise_dn, 0.05 * truth.read_noise_dn);
  EXPECT_NEAR(p.row_noise_dn, truth.row_noise_dn, 0.15 * truth.row_noise_dn);
  EXPECT_NEAR(p.gain, truth.gain, 0.05 * truth.gain);
  EXPECT_EQ(p.white_level, 4095);
}

TEST(Calibration, RefusesClipsThatCannotTell) {
  const CameraProfile truth = true_camera();
  TensorSource dark = clip(truth, 0, 1);
  TensorSource one_frame(Tensor::zeros({1, 1, 1, 8, 8}));
  EXPECT_HAS(error_of([&] { measure_dark_noise(one_frame); }), "at least 2");
  // A "flat" with no light: nothing to fit.
  TensorSource unlit = clip(truth, 0, 5);
  EXPECT_HAS(error_of([&] { calibrate_camera(dark, {&unlit}, {.bits = 12}); }), "no flat pixel");
  EXPECT_HAS(error_of([&] { calibrate_camera(dark, {}, {.bits = 12}); }), "at least one flat");
}

}  // namespace
}  // namespace tessera::video
