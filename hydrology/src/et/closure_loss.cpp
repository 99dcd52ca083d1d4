#include "tessera/hydrology/et/closure_loss.hpp"

#include <cmath>

#include "tessera/hydrology/et/water_budget.hpp"

namespace tessera::hydrology::et {

ClosureLoss closure_loss(const std::vector<double>& et, const std::vector<double>& output,
                         double max_correction, const BasinShares& basins, int64_t months,
                         const std::vector<ClosureSample>& samples) {
  ClosureLoss loss{.grad = std::vector<double>(output.size(), 0.0)};
  const size_t rows_per_cell = size_t(months + 2);
  const auto row = [&](size_t cell, int64_t t, int k) {
    return cell * rows_per_cell + size_t(t + k);
  };
  double total_weight = 0;
  for (const ClosureSample& s : samples) total_weight += s.weight;
  if (total_weight <= 0) return loss;
  for (const ClosureSample& s : samples) {
    double prediction = 0;
    for (const auto& [cell, share] : basins[s.basin])
      for (int k = 0; k < 3; ++k) {
        const size_t r = row(cell, s.t, k);
        prediction +=
            share * kCentredFilter[k] * et[r] * (1 + max_correction * std::tanh(output[r]));
      }
    const double error = prediction - s.target;
    loss.value += s.weight * error * error / total_weight;
    const double d_prediction = 2 * s.weight * error / total_weight;
    for (const auto& [cell, share] : basins[s.basin])
      for (int k = 0; k < 3; ++k) {
        const size_t r = row(cell, s.t, k);
        const double th = std::tanh(output[r]);
        loss.grad[r] +=
            d_prediction * share * kCentredFilter[k] * et[r] * max_correction * (1 - th * th);
      }
  }
  return loss;
}

}  // namespace tessera::hydrology::et
