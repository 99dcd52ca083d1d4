#include "tessera/hydrology/climatology.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessera::hydrology {

std::array<double, 367> day_of_year_climatology(const std::vector<double>& values, Step first,
                                                Step first_used, Step last_used, TimeStep step) {
  std::array<double, 367> sum{}, count{};
  const Step from = std::max(first, first_used);
  const Step to = std::min(first + Step(values.size()) - 1, last_used);
  for (Step d = from; d <= to; ++d) {
    const double v = values[size_t(d - first)];
    if (std::isnan(v)) continue;
    const int k = day_of_year(day_of_step(d, step));
    sum[size_t(k)] += v;
    count[size_t(k)] += 1;
  }
  std::array<double, 367> out;
  out.fill(std::numeric_limits<double>::quiet_NaN());
  for (int k = 1; k <= 366; ++k) {
    double s = 0, c = 0;
    for (int o = -15; o <= 15; ++o) {
      const int j = (k - 1 + o + 366) % 366 + 1;  // the window wraps around new year
      s += sum[size_t(j)], c += count[size_t(j)];
    }
    if (c > 0) out[size_t(k)] = s / c;
  }
  return out;
}

std::vector<double> fill_gaps(const std::vector<double>& values, Step first,
                              const std::array<double, 367>& climatology, int64_t* filled,
                              TimeStep step) {
  std::vector<double> out = values;
  int64_t n = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isnan(out[i])) continue;
    const double c = climatology[size_t(day_of_year(day_of_step(first + Step(i), step)))];
    out[i] = std::isnan(c) ? 0 : c;
    ++n;
  }
  if (filled) *filled = n;
  return out;
}

}  // namespace tessera::hydrology
