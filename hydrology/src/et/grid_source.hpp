#pragma once
// The file kinds behind MonthlyGridReader: each fills the axes once and reads a month on demand.
#include <memory>

#include "tessera/hydrology/et/monthly_grid.hpp"

namespace tessera::hydrology::et {

struct MonthlyGridReader::Source {
  std::string path, variable, units;
  std::vector<MonthIndex> months;
  std::vector<double> lat, lon;

  virtual ~Source() = default;
  // Month t (t < months.size()), lat x lon row-major [lat][lon], missing as NaN.
  virtual std::vector<double> read(size_t t) const = 0;
};

namespace detail {

std::unique_ptr<MonthlyGridReader::Source> open_netcdf_grid(const MonthlyGridSource& source);
std::unique_ptr<MonthlyGridReader::Source> open_raster_grid(const MonthlyGridSource& source);

// Throws naming `path` unless `months` increase (gaps allowed; two steps in one month refused).
void require_monthly(const std::string& path, const std::vector<MonthIndex>& months);

}  // namespace detail

}  // namespace tessera::hydrology::et
