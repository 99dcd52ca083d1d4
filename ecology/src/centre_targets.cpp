#include "tessera/ecology/centre_targets.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tessera::ecology {

double centre_sigma(double extent) {
  return std::max(1.0, extent / 10);
}

CentreTargets centre_targets(const std::vector<CentreBox>& boxes, int64_t classes, int64_t height,
                             int64_t width) {
  CentreTargets t{Tensor::zeros({1, classes, height, width}), Tensor::zeros({1, 2, height, width}),
                  Tensor::zeros({1, 2, height, width})};
  std::vector<float> owner(size_t(height * width), 0.f);  // strongest Gaussian so far
  float *heat = t.heat.data(), *size = t.size.data(), *mask = t.size_mask.data();
  const int64_t plane = height * width;
  for (const CentreBox& b : boxes) {
    if (b.cls < 0 || b.cls >= classes)
      throw std::invalid_argument("centre_targets: class " + std::to_string(b.cls) +
                                  " outside [0, " + std::to_string(classes) + ")");
    if (!(b.width > 0 && b.height > 0)) continue;
    // The Gaussian sits on the centre pixel, so that pixel's value is exactly 1.
    const int64_t px = int64_t(std::floor(b.cx)), py = int64_t(std::floor(b.cy));
    const double sx = centre_sigma(b.width), sy = centre_sigma(b.height);
    const int64_t rx = int64_t(std::ceil(3 * sx)), ry = int64_t(std::ceil(3 * sy));
    const float log_w = float(std::log(b.width)), log_h = float(std::log(b.height));
    float* class_heat = heat + b.cls * plane;
    for (int64_t y = std::max<int64_t>(0, py - ry); y <= std::min(height - 1, py + ry); ++y)
      for (int64_t x = std::max<int64_t>(0, px - rx); x <= std::min(width - 1, px + rx); ++x) {
        const double dx = double(x - px) / sx, dy = double(y - py) / sy;
        const float g = float(std::exp(-0.5 * (dx * dx + dy * dy)));
        const int64_t i = y * width + x;
        class_heat[i] = std::max(class_heat[i], g);
        if (g >= 0.5f && g > owner[size_t(i)]) {
          owner[size_t(i)] = g;
          size[i] = log_w, size[plane + i] = log_h;
          mask[i] = mask[plane + i] = 1.f;
        }
      }
  }
  return t;
}

}  // namespace tessera::ecology
