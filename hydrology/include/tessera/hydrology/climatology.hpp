#pragma once
// Day-of-year climatology: the mean of a daily variable on each calendar day, smoothed over a
// month. The climatology baseline of every report, and how gaps in a baseline's forcing are
// filled.
#include <array>
#include <vector>

#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {

// Mean of `values` (step 0 is `first`, steps of `step`) over steps first_used..last_used, per
// day of year (index 1..366; 0 unused), each the mean of the observed steps within +-15
// calendar days. NaN where none was observed.
std::array<double, 367> day_of_year_climatology(const std::vector<double>& values, Step first,
                                                Step first_used, Step last_used,
                                                TimeStep step = kDaily);

// values with each NaN replaced by the climatology of its day of year (0 if that is NaN too);
// the number of values filled in *filled.
std::vector<double> fill_gaps(const std::vector<double>& values, Step first,
                              const std::array<double, 367>& climatology, int64_t* filled = nullptr,
                              TimeStep step = kDaily);

}  // namespace tessera::hydrology
