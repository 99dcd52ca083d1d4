#pragma once
// Monthly grids on latitude / longitude cells: read one month at a time from a CF NetCDF variable
// or a GDAL raster (bands = months), and written as CF-1.8 NetCDF-4, a month per chunk, so that
// memory holds one month whatever the record's length.
//
//   MonthlyGridReader gleam({.path = "GLEAM_2010.nc", .variable = "E"});
//   for (size_t t = 0; t < gleam.months().size(); ++t) use(gleam.months()[t], gleam.read(t));
//
//   MonthlyGridWriter out("et_corrected.nc", lat, lon, {{"et", "mm/month", "corrected ET"}},
//                         {{"history", "tessera et-correct ..."}});
//   out.write(parse_month("2010-01"), {et_january});  // one frame per variable, [lat][lon]
//   out.commit();                                     // without it: no file at all
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tessera/hydrology/et/months.hpp"

namespace tessera::hydrology::et {

struct MonthlyGridSource {
  std::string path;        // NetCDF (CF) or any GDAL raster (GeoTIFF, ...)
  std::string variable{};  // NetCDF variable; empty: the file's one variable on lat and lon
  // The month of the first band of a raster, or of a NetCDF variable without a time axis;
  // checked against the first time step when the file has a time axis.
  std::optional<MonthIndex> first_month{};
};

// One variable of a grid file open for reading. Errors are std::runtime_error with one line
// naming the file: missing, corrupt or cut short, no such variable (the variables listed), several
// candidates and none named, no latitude / longitude axes, other dimensions longer than one, two
// time steps in one month or steps out of order (gaps are fine), a raster that is not on
// longitude / latitude. Not safe to read from two threads at once (the netCDF library is not).
class MonthlyGridReader {
 public:
  explicit MonthlyGridReader(const MonthlyGridSource& source);
  ~MonthlyGridReader();
  MonthlyGridReader(MonthlyGridReader&&) noexcept;
  MonthlyGridReader& operator=(MonthlyGridReader&&) noexcept;

  const std::string& path() const;
  const std::string& variable() const;            // the NetCDF variable read; "" for rasters
  const std::vector<MonthIndex>& months() const;  // one per time step, increasing
  const std::vector<double>& lat() const;         // cell centres, degrees north, file order
  const std::vector<double>& lon() const;         // cell centres, degrees east, file order
  const std::string& units() const;               // "" when the file gives none
  // Month `t` (index into months()) as lat().size() x lon().size() values, row-major [lat][lon]
  // whatever the file's axis order; fill / missing values and NaN as NaN, scale and offset
  // applied. Throws std::out_of_range for t >= months().size().
  std::vector<double> read(size_t t) const;

  struct Source;  // how a file kind reads (NetCDF, GDAL); private to the library

 private:
  std::unique_ptr<Source> source_;
};

struct GridVariable {
  std::string name, units, long_name;
};

// A CF-1.8 NetCDF-4 file of float variables on (time, lat, lon), time unlimited and in "days
// since 1970-01-01" at each month's first day, deflated, one month per chunk. Written to a
// temporary beside `path` and renamed into place by commit(); destroyed without commit, it
// leaves nothing. Errors are std::runtime_error naming `path`.
class MonthlyGridWriter {
 public:
  // `lat`, `lon`: cell centres (non-empty, finite); `global_attributes`: text attributes of the
  // file (history, source, ...); Conventions = "CF-1.8" unless given.
  MonthlyGridWriter(const std::string& path, std::vector<double> lat, std::vector<double> lon,
                    std::vector<GridVariable> variables,
                    const std::map<std::string, std::string>& global_attributes = {});
  ~MonthlyGridWriter();
  MonthlyGridWriter(MonthlyGridWriter&&) noexcept;
  MonthlyGridWriter& operator=(MonthlyGridWriter&&) noexcept;

  // Appends `month`, later than any written: values[v] is variable v's frame, lat x lon
  // row-major [lat][lon]; NaN is written as the fill value. Throws std::invalid_argument for a
  // month not after the last, or frames of the wrong number or size.
  void write(MonthIndex month, const std::vector<std::vector<double>>& values);
  // Closes the file and renames it into place; nothing may be written after.
  void commit();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace tessera::hydrology::et
