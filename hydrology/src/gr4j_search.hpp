#pragma once
// GR4J's parameters as the calibrations search them: x1 and x3 by their logarithms (a store's
// effect is multiplicative, so a step means the same at 20 mm as at 2000; airGR searches the
// same way), x2 and x4 as they are. Shared by calibrate_gr4j and calibrate_conceptual.
#include <cmath>
#include <vector>

#include "dds.hpp"
#include "tessera/hydrology/gr4j.hpp"

namespace tessera::hydrology {

// x1 in [1, 3000] mm, x2 in [-10, 5] mm/day, x3 in [1, 1000] mm, x4 in [0.5, 10] days, from
// x1 350, x2 0, x3 90, x4 1.7; GR4H (hourly) the same in hours: x2 in [-10, 5] / 24 mm/h,
// x4 in [0.5, 240] hours from 40.8. `extra` dimensions appended.
inline SearchBox gr4j_search_box(bool hourly = false, const SearchBox& extra = {}) {
  const double h = hourly ? 24 : 1;
  SearchBox b{{0, -10 / h, 0, 0.5},
              {std::log(3000.0), 5 / h, std::log(1000.0), 10 * h},
              {std::log(350.0), 0, std::log(90.0), 1.7 * h}};
  b.lo.insert(b.lo.end(), extra.lo.begin(), extra.lo.end());
  b.hi.insert(b.hi.end(), extra.hi.begin(), extra.hi.end());
  b.start.insert(b.start.end(), extra.start.begin(), extra.start.end());
  return b;
}

inline Gr4jParams gr4j_from_search(const std::vector<double>& x, bool hourly = false) {
  return {std::exp(x[0]), x[1], std::exp(x[2]), x[3], hourly};
}

}  // namespace tessera::hydrology
