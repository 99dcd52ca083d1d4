// Sensor noise synthesis after the physics of a CMOS pixel (Wei et al., ELD, CVPR 2020): photons
// arrive as a Poisson process, the readout adds Gaussian or Tukey-lambda noise and a random
// offset per row, and the converter adds a black level, rounds and clips.
#include "tessera/video/sensor_noise.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tessera::video {

float srgb_to_linear(float v) {
  v = std::clamp(v, 0.0f, 1.0f);
  return v <= 0.04045f ? v / 12.92f : std::pow((v + 0.055f) / 1.055f, 2.4f);
}

Tensor display_to_linear(const Tensor& frames, float peak) {
  if (!(peak > 0)) throw std::invalid_argument("display_to_linear: peak must be above 0");
  Tensor out = frames.to_plain().clone();
  float* p = out.data();
  for (int64_t i = 0; i < out.numel(); ++i) p[i] = srgb_to_linear(p[i] / peak);
  return out;
}

namespace {

// One read-noise draw of standard deviation 1.
class ReadNoise {
 public:
  explicit ReadNoise(const CameraProfile& c)
      : tukey_(c.tukey_read),
        lambda_(c.tukey_lambda),
        unit_scale_(c.tukey_read ? 1 / std::sqrt(tukey_lambda_variance(c.tukey_lambda)) : 1) {}
  double operator()(std::mt19937_64& rng) {
    if (!tukey_) return normal_(rng);
    double u = uniform_(rng);
    while (u <= 0 || u >= 1) u = uniform_(rng);
    return unit_scale_ * tukey_lambda_quantile(u, lambda_);
  }

 private:
  bool tukey_;
  double lambda_, unit_scale_;
  std::normal_distribution<double> normal_{0, 1};
  std::uniform_real_distribution<double> uniform_{0, 1};
};

}  // namespace

Tensor add_sensor_noise(const Tensor& linear, const CameraProfile& camera, double photons_at_white,
                        std::mt19937_64& rng) {
  if (linear.ndim() != 5)
    throw std::invalid_argument("add_sensor_noise: frames must be [1, C, T, H, W], got " +
                                to_string(linear.shape()));
  if (!(photons_at_white > 0) || !std::isfinite(photons_at_white))
    throw std::invalid_argument("add_sensor_noise: the photons at white must be above 0");
  Tensor out = linear.to_plain().clone();
  const int64_t rows = out.dim(0) * out.dim(1) * out.dim(2) * out.dim(3), width = out.dim(4);
  float* p = out.data();
  ReadNoise read(camera);
  std::normal_distribution<double> row_offset(0, 1);
  for (int64_t r = 0; r < rows; ++r) {
    const double row = camera.row_noise_dn * row_offset(rng);
    for (int64_t x = 0; x < width; ++x) {
      float& v = p[r * width + x];
      const double mean = std::max(0.0, double(v)) * photons_at_white;
      const double electrons = mean > 0 ? double(std::poisson_distribution<int64_t>(mean)(rng)) : 0;
      const double dn =
          camera.gain * electrons + camera.read_noise_dn * read(rng) + row + camera.black_level;
      v = float(std::clamp(std::round(dn), 0.0, camera.white_level));
    }
  }
  return out;
}

Tensor raw_to_normalised(const Tensor& raw, const CameraProfile& camera, double photons_at_white) {
  if (!(photons_at_white > 0))
    throw std::invalid_argument("raw_to_normalised: the photons at white must be above 0");
  Tensor out = raw.to_plain().clone();
  float* p = out.data();
  const double scale = 1 / (camera.gain * photons_at_white);
  for (int64_t i = 0; i < out.numel(); ++i) p[i] = float((p[i] - camera.black_level) * scale);
  return out;
}

}  // namespace tessera::video
