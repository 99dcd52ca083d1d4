#pragma once
// Daily series out as CSV: the layout read_csv_series reads with its defaults (a `date` column,
// one column per variable, empty cells where values are missing).
#include <string>

#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {

std::string to_csv(const DailySeries& s);

}  // namespace tessera::hydrology
