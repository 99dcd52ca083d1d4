// Sensor noise against its formulas: the mean and variance of the DN at each signal level, the
// Tukey-lambda read noise's variance, the sRGB curve, and the shared profiles read as stated.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/video/camera_profile.hpp"
#include "tessera/video/sensor_noise.hpp"

namespace tessera::video {
namespace {

using tessera::testing::error_of;

// Mean and variance of many pixels of one linear value through the camera.
std::pair<double, double> moments(const CameraProfile& camera, float linear, double photons) {
  const int64_t h = 64, w = 256;
  std::mt19937_64 rng(7);
  const Tensor raw = add_sensor_noise(Tensor::full({1, 1, 8, h, w}, linear), camera, photons, rng);
  double sum = 0, sq = 0;
  const auto v = raw.to_vector();
  for (float x : v) sum += x, sq += double(x) * x;
  const double mean = sum / double(v.size());
  return {mean, sq / double(v.size()) - mean * mean};
}

CameraProfile test_camera() {
  CameraProfile c;
  c.gain = 2.5, c.read_noise_dn = 3, c.row_noise_dn = 1.5, c.black_level = 64, c.white_level = 4095;
  c.bits = 12;
  return c;
}

TEST(SensorNoise, MeanAndVarianceFollowTheFormulasAtEachLevel) {
  const CameraProfile c = test_camera();
  for (double electrons : {0.0, 5.0, 40.0, 300.0}) {
    const auto [mean, variance] = moments(c, float(electrons / 100), 100);
    EXPECT_NEAR(mean, c.black_level + c.gain * electrons, 0.05 + 0.01 * c.gain * electrons)
        << electrons;
    // Rows share their offset, so the row part is estimated from 512 rows only: 10%.
    EXPECT_NEAR(variance, c.variance_at(electrons), 0.1 * c.variance_at(electrons)) << electrons;
  }
}

TEST(SensorNoise, TukeyReadNoiseKeepsItsStandardDeviation) {
  CameraProfile c = test_camera();
  c.row_noise_dn = 0, c.tukey_read = true, c.tukey_lambda = -0.1;  // heavy tails
  const auto [mean, variance] = moments(c, 0, 10);
  EXPECT_NEAR(mean, c.black_level, 0.05);
  EXPECT_NEAR(variance, c.variance_at(0), 0.05 * c.variance_at(0));
}

TEST(SensorNoise, ClipsAtWhiteAndBlack) {
  CameraProfile c = test_camera();
  c.black_level = 0;
  std::mt19937_64 rng(1);
  const auto bright = add_sensor_noise(Tensor::full({1, 1, 1, 4, 4}, 1.0f), c, 1e4, rng);
  for (float x : bright.to_vector()) EXPECT_EQ(x, 4095.0f);
  const auto dark = add_sensor_noise(Tensor::full({1, 1, 1, 4, 4}, 0.0f), c, 10, rng);
  for (float x : dark.to_vector()) EXPECT_GE(x, 0.0f);
}

TEST(SensorNoise, TukeyLambdaVarianceAgainstKnownValues) {
  // lambda 0: the logistic, pi^2/3; lambda 1: uniform on [-1, 1], 1/3; lambda 0.5:
  // 8 (1/2 - Gamma(3/2)^2 / Gamma(3)) = 8 (1/2 - pi/8) = 4 - pi.
  EXPECT_NEAR(tukey_lambda_variance(0), M_PI * M_PI / 3, 1e-12);
  EXPECT_NEAR(tukey_lambda_variance(1), 1.0 / 3, 1e-12);
  EXPECT_NEAR(tukey_lambda_variance(0.5), 4 - M_PI, 1e-12);
  EXPECT_NEAR(tukey_lambda_quantile(0.5, 0.3), 0, 1e-12);
  EXPECT_NEAR(tukey_lambda_quantile(0.75, 0), std::log(3.0), 1e-12);
}

TEST(SensorNoise, SrgbCurve) {
  EXPECT_FLOAT_EQ(srgb_to_linear(0), 0);
  EXPECT_FLOAT_EQ(srgb_to_linear(1), 1);
  EXPECT_NEAR(srgb_to_linear(0.5f), 0.21404, 1e-5);  // the sRGB standard's mid grey
  EXPECT_NEAR(srgb_to_linear(0.04f), 0.04 / 12.92, 1e-7);
}

TEST(SensorNoise, NormalisedBringsWhiteToOne) {
  const CameraProfile c = test_camera();
  const Tensor raw = Tensor::full({1, 1, 1, 2, 2}, float(c.black_level + c.gain * 30));
  for (float x : raw_to_normalised(raw, c, 30).to_vector()) EXPECT_NEAR(x, 1.0f, 1e-6);
}

TEST(SensorNoise, RefusesBadShapesAndExposures) {
  std::mt19937_64 rng(1);
  EXPECT_HAS(error_of([&] {
               add_sensor_noise(Tensor::zeros({1, 1, 4, 4}), test_camera(), 10, rng);
             }),
             "[1, C, T, H, W]");
  EXPECT_HAS(error_of([&] {
               add_sensor_noise(Tensor::zeros({1, 1, 1, 4, 4}), test_camera(), 0, rng);
             }),
             "photons");
}

class CameraProfiles : public tessera::testing::TempDirTest {};

const std::string kModels = std::string(TESSERA_SHARED_DATA) + "/video/noise_models";

TEST_F(CameraProfiles, CrvdTableByIso) {
  const std::string path = kModels + "/crvd_imx385_noise_params.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no shared noise models";
  const CameraProfile p = read_camera_profile(path, {.iso = 3200});
  EXPECT_NEAR(p.gain, 6.955588, 1e-9);
  EXPECT_NEAR(p.read_noise_dn * p.read_noise_dn, 38.117816, 1e-6);
  EXPECT_EQ(p.black_level, 240);
  EXPECT_EQ(p.white_level, 4095);
  EXPECT_EQ(p.bits, 12);
  EXPECT_NEAR(read_camera_profile(path).gain, 13.486051, 1e-9);  // the middle ISO, 6400
  EXPECT_HAS(error_of([&] { read_camera_profile(path, {.iso = 100}); }), "no ISO 100");
}

TEST_F(CameraProfiles, EldLawsAtAGain) {
  const std::string path = kModels + "/eld/SonyA7S2_params.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no shared noise models";
  const CameraProfile p = read_camera_profile(path, {.gain = 2.0});
  EXPECT_EQ(p.gain, 2.0);
  EXPECT_TRUE(p.tukey_read);
  EXPECT_GT(p.read_noise_dn, 0);
  EXPECT_GT(p.row_noise_dn, 0);
  EXPECT_HAS(error_of([&] { read_camera_profile(path, {.gain = 1000}); }), "outside");
}

TEST_F(CameraProfiles, OwnProfileRoundTripsAndBadFilesAreRefused) {
  CameraProfile c = test_camera();
  c.name = "bench camera", c.tukey_read = true, c.tukey_lambda = 0.05;
  write_camera_profile(c, path("camera.json"));
  const CameraProfile back = read_camera_profile(path("camera.json"));
  EXPECT_EQ(back.name, c.name);
  EXPECT_EQ(back.gain, c.gain);
  EXPECT_EQ(back.read_noise_dn, c.read_noise_dn);
  EXPECT_EQ(back.row_noise_dn, c.row_noise_dn);
  EXPECT_EQ(back.tukey_read, true);
  EXPECT_EQ(back.tukey_lambda, c.tukey_lambda);
  EXPECT_EQ(back.black_level, c.black_level);
  EXPECT_EQ(back.bits, c.bits);

  std::ofstream(path("other.json")) << "{\"a\": 1}";
  EXPECT_HAS(error_of([&] { read_camera_profile(path("other.json")); }), "not a camera profile");
  EXPECT_HAS(error_of([&] { read_camera_profile(path("missing.json")); }), "missing.json");
  c.gain = 0;
  EXPECT_HAS(error_of([&] { write_camera_profile(c, path("zero.json")); }), "gain");
  EXPECT_FALSE(std::filesystem::exists(path("zero.json")));
}

}  // namespace
}  // namespace tessera::video
