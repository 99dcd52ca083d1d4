#pragma once
// An open NetCDF file as the readers use it through the netCDF C API: names, dimensions and
// attributes of its variables, every size checked against what the file can hold before anything
// is allocated, time coordinates as days, and values unpacked with missing values as NaN.
#include <netcdf.h>

#include <string>
#include <vector>

#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology::detail {

struct NcFile {
  std::string path;
  int id = -1;
  double bytes = 0;      // the file's size
  bool netcdf4 = false;  // HDF5 underneath: variables may be compressed

  // Throws naming `path` when it is missing, cut short (classic format) or not NetCDF.
  explicit NcFile(const std::string& p);
  ~NcFile();
  NcFile(const NcFile&) = delete;
  NcFile& operator=(const NcFile&) = delete;

  // Throws "<path>: <what>: <netCDF's message>" unless `status` is NC_NOERR.
  void check(int status, const std::string& what) const;
  std::string name(int var) const;
  std::vector<int> dims(int var) const;
  nc_type type(int var) const;
  size_t length(int dim) const;
  std::string dim_name(int dim) const;
  int variable_count() const;
  // Throws unless `count` values of `var` fit in what the file can hold: a crafted dimension
  // must not ask for more memory than the file could fill.
  void require_storable(int var, double count, const std::string& what) const;
  // A text attribute (char or string), "" when absent.
  std::string text(int var, const char* att) const;
  // A numeric attribute's values, empty when absent or not numeric.
  std::vector<double> numbers(int var, const char* att) const;

 private:
  size_t attribute_length(size_t n, const char* att) const;
};

bool numeric(nc_type t);

// The times of a 1-D CF time coordinate ("<unit> since <date>") in seconds since 1970-01-01
// 00:00 UTC, refused when missing or outside the years 1 to 9999.
std::vector<int64_t> read_times(const NcFile& f, int time_var);

// Values of `var` as stored -> as meant: _FillValue, missing_value and `extra_missing` (compared
// before scaling) become NaN, scale_factor and add_offset applied to the rest.
void unpack(const NcFile& f, int var, std::vector<double>& values,
            const std::vector<double>& extra_missing);

}  // namespace tessera::hydrology::detail
