#pragma once
// Series out as CSV: the layout read_csv_series reads with its defaults (a `date` column, with
// the time of day for sub-daily steps, one column per variable, empty cells where values are
// missing).
#include <string>

#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {

std::string to_csv(const TimeSeries& s);

}  // namespace tessera::hydrology
