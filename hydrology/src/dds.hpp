#pragma once
// Dynamically Dimensioned Search (Tolson and Shoemaker 2007): a global optimiser for a fixed
// budget of model runs, the usual choice for calibrating conceptual hydrological models.
#include <cstdint>
#include <functional>
#include <vector>

namespace tessera::hydrology {

struct SearchBox {
  std::vector<double> lo, hi, start;
};

// The point of the box with the highest score found in `evaluations` runs of `score` (which
// returns -inf or NaN for failures); fills *best_score when given.
std::vector<double> dds_maximize(const SearchBox& box, int evaluations, uint64_t seed,
                                 const std::function<double(const std::vector<double>&)>& score,
                                 double* best_score = nullptr);

}  // namespace tessera::hydrology
