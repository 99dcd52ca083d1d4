#pragma once
// The sum-aggregated supervision: the correction acts on cells and months, but the closure is
// known only for whole basins and for the span of a centred storage difference. So a basin-month
// is predicted as the area-weighted sum over the basin's cells of the corrected ET, filtered
// (1/4, 1/2, 1/4) over the month and its neighbours, and compared with P~ - R~ - dS, weighted by
// 1 / sigma^2 of the budget terms.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tessera::hydrology::et {

// A basin-month to close: the target for filtered ET (P~ - R~ - dS) and its weight (1/sigma^2).
struct ClosureSample {
  size_t basin = 0;
  int64_t t = 0;  // the residual's month index
  double target = 0, weight = 1;
};

// Each basin's cells as (cell, share of the basin's area), shares summing to 1. A cell's months
// are rows cell * (months + 2) + m, m = 0 being the month before the residual's first.
using BasinShares = std::vector<std::vector<std::pair<size_t, double>>>;

struct ClosureLoss {
  double value = 0;          // sum w (prediction - target)^2 / sum w
  std::vector<double> grad;  // d value / d network output, per row
};

// `et`: the product per row; `output`: the network per row, the correction being
// ET (1 + B tanh(output)), B = max_correction. `months`: the residual's months.
ClosureLoss closure_loss(const std::vector<double>& et, const std::vector<double>& output,
                         double max_correction, const BasinShares& basins, int64_t months,
                         const std::vector<ClosureSample>& samples);

}  // namespace tessera::hydrology::et
