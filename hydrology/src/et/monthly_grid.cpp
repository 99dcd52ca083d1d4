// MonthlyGridReader: the file kind chosen from its first bytes, NetCDF through the netCDF C API
// (monthly_grid_netcdf.cpp), anything else through GDAL (monthly_grid_raster.cpp).
#include <fstream>
#include <stdexcept>

#include "../reader_util.hpp"
#include "grid_source.hpp"

namespace tessera::hydrology::et {

namespace {

// NetCDF classic ("CDF\1", "CDF\2", "CDF\5") or HDF5 underneath (NetCDF-4).
bool looks_like_netcdf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, sizeof magic);
  const std::string head(magic, size_t(in.gcount()));
  return head.rfind("CDF", 0) == 0 || head == "\x89HDF";
}

}  // namespace

namespace detail {

void require_monthly(const std::string& path, const std::vector<MonthIndex>& months) {
  for (size_t i = 1; i < months.size(); ++i) {
    const std::string steps = std::to_string(i - 1) + " and " + std::to_string(i);
    if (months[i] == months[i - 1])
      hydrology::detail::fail(path, "time steps " + steps + " both fall in " +
                                        format_month(months[i]) + ": not a monthly series");
    if (months[i] < months[i - 1])
      hydrology::detail::fail(path, "time steps " + steps + " go backwards (" +
                                        format_month(months[i - 1]) + ", then " +
                                        format_month(months[i]) + ")");
  }
}

}  // namespace detail

MonthlyGridReader::MonthlyGridReader(const MonthlyGridSource& source) {
  hydrology::detail::require_file(source.path);
  source_ = looks_like_netcdf(source.path) ? detail::open_netcdf_grid(source)
                                           : detail::open_raster_grid(source);
}

MonthlyGridReader::~MonthlyGridReader() = default;
MonthlyGridReader::MonthlyGridReader(MonthlyGridReader&&) noexcept = default;
MonthlyGridReader& MonthlyGridReader::operator=(MonthlyGridReader&&) noexcept = default;

const std::string& MonthlyGridReader::path() const {
  return source_->path;
}
const std::string& MonthlyGridReader::variable() const {
  return source_->variable;
}
const std::vector<MonthIndex>& MonthlyGridReader::months() const {
  return source_->months;
}
const std::vector<double>& MonthlyGridReader::lat() const {
  return source_->lat;
}
const std::vector<double>& MonthlyGridReader::lon() const {
  return source_->lon;
}
const std::string& MonthlyGridReader::units() const {
  return source_->units;
}

std::vector<double> MonthlyGridReader::read(size_t t) const {
  if (t >= source_->months.size())
    throw std::out_of_range(source_->path + ": month " + std::to_string(t) + " asked of " +
                            std::to_string(source_->months.size()));
  return source_->read(t);
}

}  // namespace tessera::hydrology::et
