#include "tessera/hydrology/quantile_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tessera::hydrology {

double sample_quantile(const std::vector<double>& sorted, double level) {
  const double pos = std::clamp(level, 0.0, 1.0) * double(sorted.size() - 1);
  const size_t lo = size_t(pos), hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

double quantile_spread(const double* q, size_t levels) {
  const double spread = levels > 0 ? q[levels - 1] - q[0] : 0;
  const double middle = levels > 0 ? std::abs(q[levels / 2]) : 0;
  return std::max(spread, 1e-3 + 0.01 * middle);
}

std::vector<double> fit_quantile_shifts(const std::vector<double>& levels,
                                        const std::vector<double>& values,
                                        const std::vector<double>& observed) {
  const size_t k = levels.size();
  if (k == 0 || values.size() != observed.size() * k)
    throw std::invalid_argument("fit_quantile_shifts: " + std::to_string(values.size()) +
                                " quantiles for " + std::to_string(observed.size()) + " cases of " +
                                std::to_string(k) + " levels");
  std::vector<double> shift(k, 0.0);
  for (size_t j = 0; j < k; ++j) {
    // How far, in spreads, each observation lies above the j-th quantile; the level's own
    // quantile of those distances is the shift that puts that share at or below.
    std::vector<double> above;
    for (size_t i = 0; i < observed.size(); ++i) {
      if (std::isnan(observed[i])) continue;
      const double* q = values.data() + i * k;
      above.push_back((observed[i] - q[j]) / quantile_spread(q, k));
    }
    if (above.empty()) continue;
    std::sort(above.begin(), above.end());
    shift[j] = sample_quantile(above, levels[j]);
  }
  return shift;
}

void apply_quantile_shifts(const std::vector<double>& levels, const std::vector<double>& shift,
                           std::vector<double>& values, double floor) {
  const size_t k = levels.size();
  if (shift.size() != k || k == 0 || values.size() % k != 0)
    throw std::invalid_argument("apply_quantile_shifts: " + std::to_string(shift.size()) +
                                " shifts for " + std::to_string(k) + " levels");
  for (size_t i = 0; i < values.size(); i += k) {
    double* q = values.data() + i;
    const double spread = quantile_spread(q, k);
    for (size_t j = 0; j < k; ++j) q[j] += shift[j] * spread;
    std::sort(q, q + k);
    for (size_t j = 0; j < k; ++j) q[j] = std::max(q[j], floor);
  }
}

}  // namespace tessera::hydrology
