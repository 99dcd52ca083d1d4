// CF station time series through the netCDF C API: one station's values of variables on the
// time dimension, unpacked and with missing values as NaN.
#include <algorithm>

#include "netcdf_file.hpp"
#include "reader_util.hpp"
#include "tessera/hydrology/readers.hpp"

namespace tessera::hydrology {

using namespace detail;

namespace {

// The CF time coordinate: a 1-D variable named like its dimension with "<unit> since <date>"
// units; one marked as time (standard_name, axis or name) wins over others.
int find_time(const NcFile& f) {
  int best = -1;
  for (int v = 0; v < f.variable_count(); ++v) {
    const std::vector<int> d = f.dims(v);
    if (d.size() != 1 || f.dim_name(d[0]) != f.name(v)) continue;
    if (f.text(v, "units").find(" since ") == std::string::npos) continue;
    const bool marked =
        f.text(v, "standard_name") == "time" || f.text(v, "axis") == "T" || f.name(v) == "time";
    if (marked) return v;
    if (best < 0) best = v;
  }
  if (best < 0) fail(f.path, "no time coordinate (a variable with units '<unit> since <date>')");
  return best;
}

// Numeric variables of dimension (time), (station, time) or (time, station), time itself and its
// bounds left out.
std::vector<std::string> series_variables(const NcFile& f, int time_var) {
  const int time_dim = f.dims(time_var)[0];
  const std::string bounds = f.text(time_var, "bounds");
  std::vector<std::string> names;
  for (int v = 0; v < f.variable_count(); ++v) {
    const std::vector<int> d = f.dims(v);
    const bool on_time = std::find(d.begin(), d.end(), time_dim) != d.end() && d.size() <= 2;
    if (v != time_var && on_time && numeric(f.type(v)) && f.name(v) != bounds)
      names.push_back(f.name(v));
  }
  return names;
}

// One station's values along time, as stored.
std::vector<double> read_raw(const NcFile& f, int var, int time_dim, int64_t station) {
  const std::vector<int> d = f.dims(var);
  const size_t n = f.length(time_dim);
  std::vector<size_t> start(d.size(), 0), count(d.size(), 1);
  for (size_t k = 0; k < d.size(); ++k) {
    if (d[k] == time_dim) {
      count[k] = n;
    } else if (station < 0 || size_t(station) >= f.length(d[k])) {
      fail(f.path, "station " + std::to_string(station) + " is out of range (dimension '" +
                       f.dim_name(d[k]) + "' has " + std::to_string(f.length(d[k])) + ")");
    } else {
      start[k] = size_t(station);
    }
  }
  f.require_storable(var, double(n), "the time dimension");
  std::vector<double> v(n);
  if (n > 0)
    f.check(nc_get_vara_double(f.id, var, start.data(), count.data(), v.data()), f.name(var));
  return v;
}

Variable read_variable(const NcFile& f, int var, int time_dim, int64_t station,
                       const std::vector<double>& extra_missing) {
  std::vector<double> v = read_raw(f, var, time_dim, station);
  unpack(f, var, v, extra_missing);
  return {std::move(v), f.text(var, "units")};
}

}  // namespace

TimeSeries read_netcdf_series(const std::string& path, const std::vector<std::string>& variables,
                              int64_t station, const std::vector<double>& missing_values,
                              const std::map<std::string, std::string>& units) {
  const NcFile f(path);
  const int time_var = find_time(f);
  const int time_dim = f.dims(time_var)[0];
  const std::vector<std::string> present = series_variables(f, time_var);
  const std::vector<std::string>& wanted = variables.empty() ? present : variables;
  if (wanted.empty()) fail(path, "no variables on the time dimension");
  Records r;
  bool by_station = false;
  r.times = read_times(f, time_var);
  for (size_t i = 0; i < r.times.size(); ++i) r.where.push_back(int64_t(i));
  for (const std::string& name : wanted) {
    int var = -1;
    if (std::find(present.begin(), present.end(), name) == present.end() ||
        nc_inq_varid(f.id, name.c_str(), &var) != NC_NOERR)
      fail(path, "no variable '" + name + "' on the time dimension '" + f.dim_name(time_dim) +
                     "' (variables: " + list_names(present) + ")");
    r.variables[name] = read_variable(f, var, time_dim, station, missing_values);
    by_station = by_station || f.dims(var).size() == 2;
  }
  // Variables of time alone serve every station, but some variable must have the one asked for.
  if (station != 0 && !by_station)
    fail(path, "station " + std::to_string(station) + " asked but no variable read has a " +
                   "station dimension");
  // Before the layout, which turns depths per record into rates by the units.
  for (const auto& [name, unit] : units) {
    if (!r.variables.count(name)) fail(path, "units given for '" + name + "', which is not read");
    r.variables[name].units = unit;
  }
  return lay_out(path, r, "time index");
}

}  // namespace tessera::hydrology
