#include "dds.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace tessera::hydrology {

std::vector<double> dds_maximize(const SearchBox& box, int evaluations, uint64_t seed,
                                 const std::function<double(const std::vector<double>&)>& score,
                                 double* best_score) {
  const size_t dims = box.start.size();
  auto safe_score = [&](const std::vector<double>& x) {
    const double s = score(x);
    return std::isfinite(s) ? s : -1e300;
  };
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> best = box.start;
  double best_value = safe_score(best);
  const int n = std::max(1, evaluations);
  for (int i = 1; i < n; ++i) {
    // Perturb each parameter with a probability that shrinks as the budget is spent: a global
    // search first, a local one at the end.
    const double perturb = 1 - std::log(double(i)) / std::log(double(n));
    std::vector<double> x = best;
    bool moved = false;
    for (size_t k = 0; k < dims; ++k) {
      if (u(rng) >= perturb) continue;
      moved = true;
      const double lo = box.lo[k], hi = box.hi[k];
      x[k] += 0.2 * (hi - lo) * g(rng);
      if (x[k] < lo) x[k] = std::min(hi, 2 * lo - x[k]);  // reflect at the bounds
      if (x[k] > hi) x[k] = std::max(lo, 2 * hi - x[k]);
    }
    if (!moved) {
      const size_t k = size_t(u(rng) * double(dims)) % dims;
      x[k] = std::clamp(best[k] + 0.2 * (box.hi[k] - box.lo[k]) * g(rng), box.lo[k], box.hi[k]);
    }
    const double s = safe_score(x);
    if (s > best_value) best = x, best_value = s;
  }
  if (best_score) *best_score = best_value;
  return best;
}

}  // namespace tessera::hydrology
