#pragma once
// Monthly basin means as the water-budget literature keeps them: one table per product, in mm per
// month. Two layouts are read:
//   wide  name,2002-05-01,2002-06-01,...   one row per basin, one column per month
//   long  basin,date,value                 one row per basin and month (any column order)
// Empty cells, NA and NaN are missing (NaN), never numbers.
//
//   const BasinTable et = read_basin_table("ET_GLEAM_monthly.csv");
//   et.at(et.index("AMAZON"), parse_month("2010-03"));
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/hydrology/et/months.hpp"

namespace tessera::hydrology::et {

struct BasinTable {
  std::string path{};  // as errors name it
  std::vector<std::string> basins{};
  MonthIndex first = 0;  // month of column 0
  int64_t months = 0;
  std::vector<double> values{};  // [basin][month], NaN when missing

  // The basin's value for `month`; NaN outside the table.
  double at(size_t basin, MonthIndex month) const;
  // Row of `basin`, -1 when absent.
  int64_t index(const std::string& basin) const;
};

// Throws std::runtime_error "<path>:<line>: ..." for a missing or empty file, a header that is
// neither layout, a column that is not a month, months out of order or repeated, a value that is
// not a number, or a basin listed twice.
BasinTable read_basin_table(const std::string& path);

}  // namespace tessera::hydrology::et
