#include "tessera/hydrology/csv_writer.hpp"

#include <cmath>
#include <cstdio>

namespace tessera::hydrology {

std::string to_csv(const TimeSeries& s) {
  std::string out = "date";
  for (const auto& [name, v] : s.variables) out += "," + name;
  out += "\n";
  char cell[64];
  for (int64_t i = 0; i < s.length; ++i) {
    out += format_step(s.first + i, s.step);
    for (const auto& [name, v] : s.variables) {
      const double x = v.values[size_t(i)];
      out += ",";
      if (std::isnan(x)) continue;
      std::snprintf(cell, sizeof cell, "%.6g", x);
      out += cell;
    }
    out += "\n";
  }
  return out;
}

}  // namespace tessera::hydrology
