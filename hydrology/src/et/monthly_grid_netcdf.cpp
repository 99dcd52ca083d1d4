// Monthly grids from CF NetCDF: a variable on (time, lat, lon) in either order of lat and lon
// (GLEAM stores lon first), or on (lat, lon) alone for one month; read a time slice at a time.
#include <algorithm>
#include <cmath>

#include "../netcdf_file.hpp"
#include "../reader_util.hpp"
#include "grid_source.hpp"

namespace tessera::hydrology::et::detail {

using hydrology::detail::fail;
using hydrology::detail::NcFile;
using hydrology::detail::numeric;

namespace {

enum class Axis { lat, lon, time, other };

bool one_of(const std::string& s, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

// The 1-D coordinate variable of dimension `dim` (same name), -1 when there is none.
int coordinate_variable(const NcFile& f, int dim) {
  int var = -1;
  if (nc_inq_varid(f.id, f.dim_name(dim).c_str(), &var) != NC_NOERR) return -1;
  const std::vector<int> d = f.dims(var);
  return d.size() == 1 && d[0] == dim ? var : -1;
}

// What a dimension is, by its coordinate variable's CF attributes, else by its name.
Axis axis_of(const NcFile& f, int dim) {
  const std::string name = f.dim_name(dim);
  const int var = coordinate_variable(f, dim);
  const std::string standard = var < 0 ? "" : f.text(var, "standard_name");
  const std::string units = var < 0 ? "" : f.text(var, "units");
  const std::string axis = var < 0 ? "" : f.text(var, "axis");
  if (standard == "latitude" || axis == "Y" ||
      one_of(units, {"degrees_north", "degree_north", "degrees_N", "degree_N", "degreesN"}) ||
      one_of(name, {"lat", "latitude"}))
    return Axis::lat;
  if (standard == "longitude" || axis == "X" ||
      one_of(units, {"degrees_east", "degree_east", "degrees_E", "degree_E", "degreesE"}) ||
      one_of(name, {"lon", "longitude"}))
    return Axis::lon;
  if (standard == "time" || axis == "T" || units.find(" since ") != std::string::npos ||
      name == "time")
    return Axis::time;
  return Axis::other;
}

// Position of each kind of axis among a variable's dimensions (-1 when absent); false when a
// kind appears twice.
struct Layout {
  int lat = -1, lon = -1, time = -1;
};
bool layout_of(const NcFile& f, int var, Layout& out) {
  const std::vector<int> dims = f.dims(var);
  for (int i = 0; i < int(dims.size()); ++i) {
    int* slot = nullptr;
    switch (axis_of(f, dims[size_t(i)])) {
      case Axis::lat:
        slot = &out.lat;
        break;
      case Axis::lon:
        slot = &out.lon;
        break;
      case Axis::time:
        slot = &out.time;
        break;
      case Axis::other:
        continue;
    }
    if (*slot >= 0) return false;
    *slot = i;
  }
  return true;
}

bool on_lat_lon(const NcFile& f, int var) {
  Layout l;
  return numeric(f.type(var)) && layout_of(f, var, l) && l.lat >= 0 && l.lon >= 0;
}

std::vector<std::string> grid_variables(const NcFile& f) {
  std::vector<std::string> names;
  for (int v = 0; v < f.variable_count(); ++v)
    if (on_lat_lon(f, v)) names.push_back(f.name(v));
  return names;
}

int find_variable(const NcFile& f, const std::string& name) {
  const std::vector<std::string> vars = grid_variables(f);
  const std::string listed = " (variables on lat / lon: " + hydrology::list_names(vars) + ")";
  if (name.empty() && vars.size() != 1)
    fail(f.path, vars.empty() ? "no variable on latitude and longitude axes"
                              : "holds several variables; name one" + listed);
  int var = -1;
  if (nc_inq_varid(f.id, (name.empty() ? vars[0] : name).c_str(), &var) != NC_NOERR)
    fail(f.path, "no variable '" + name + "'" + listed);
  if (!on_lat_lon(f, var))
    fail(f.path, "variable '" + name + "' does not lie on latitude and longitude axes" + listed);
  return var;
}

class NetcdfGrid : public MonthlyGridReader::Source {
 public:
  explicit NetcdfGrid(const MonthlyGridSource& src);
  std::vector<double> read(size_t t) const override;

 private:
  std::vector<double> coordinates(int dim_position) const;
  void read_months(const MonthlyGridSource& src);

  NcFile f_;
  int var_ = -1;
  Layout layout_;
  std::vector<size_t> start_, count_;  // one time slice
};

NetcdfGrid::NetcdfGrid(const MonthlyGridSource& src) : f_(src.path) {
  path = src.path;
  var_ = find_variable(f_, src.variable);
  variable = f_.name(var_);
  units = f_.text(var_, "units");
  layout_of(f_, var_, layout_);
  const std::vector<int> dims = f_.dims(var_);
  for (size_t i = 0; i < dims.size(); ++i) {
    const size_t n = f_.length(dims[i]);
    const bool spatial = int(i) == layout_.lat || int(i) == layout_.lon;
    if (!spatial && int(i) != layout_.time && n != 1)
      fail(path, "variable '" + variable + "' has dimension '" + f_.dim_name(dims[i]) +
                     "' of length " + std::to_string(n) + " besides time, lat and lon");
    start_.push_back(0);
    count_.push_back(spatial ? n : 1);
  }
  lat = coordinates(layout_.lat);
  lon = coordinates(layout_.lon);
  f_.require_storable(var_, double(lat.size()) * double(lon.size()), "one month");
  read_months(src);
}

std::vector<double> NetcdfGrid::coordinates(int dim_position) const {
  const int dim = f_.dims(var_)[size_t(dim_position)];
  const int var = coordinate_variable(f_, dim);
  if (var < 0 || !numeric(f_.type(var)))
    fail(path, "dimension '" + f_.dim_name(dim) + "' has no numeric coordinate variable");
  const size_t n = f_.length(dim);
  if (n == 0) fail(path, "dimension '" + f_.dim_name(dim) + "' is empty");
  f_.require_storable(var, double(n), "dimension '" + f_.dim_name(dim) + "'");
  std::vector<double> v(n);
  f_.check(nc_get_var_double(f_.id, var, v.data()), "reading " + f_.name(var));
  if (!std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); }))
    fail(path, "coordinate '" + f_.name(var) + "' has missing values");
  return v;
}

void NetcdfGrid::read_months(const MonthlyGridSource& src) {
  if (layout_.time < 0) {
    if (!src.first_month)
      fail(path, "variable '" + variable + "' has no time axis: give its month (first_month)");
    months = {*src.first_month};
    return;
  }
  const int dim = f_.dims(var_)[size_t(layout_.time)];
  const int time_var = coordinate_variable(f_, dim);
  if (time_var < 0) fail(path, "the time dimension '" + f_.dim_name(dim) + "' has no coordinate");
  f_.require_storable(var_, double(f_.length(dim)) * double(lat.size() * lon.size()), "the grid");
  for (const int64_t seconds : read_times(f_, time_var))
    months.push_back(month_of(formats::Day(std::floor(double(seconds) / 86400.0))));
  require_monthly(path, months);
  if (src.first_month && !months.empty() && *src.first_month != months[0])
    fail(path, "first_month " + format_month(*src.first_month) + " but the file's first step is " +
                   format_month(months[0]));
}

std::vector<double> NetcdfGrid::read(size_t t) const {
  std::vector<size_t> start = start_;
  if (layout_.time >= 0) start[size_t(layout_.time)] = t;
  const size_t nlat = lat.size(), nlon = lon.size();
  std::vector<double> raw(nlat * nlon);
  f_.check(nc_get_vara_double(f_.id, var_, start.data(), count_.data(), raw.data()),
           "reading '" + variable + "' at time step " + std::to_string(t));
  hydrology::detail::unpack(f_, var_, raw, {});
  if (layout_.lat < layout_.lon) return raw;
  std::vector<double> lat_major(raw.size());  // the file holds [lon][lat]
  for (size_t i = 0; i < nlat; ++i)
    for (size_t j = 0; j < nlon; ++j) lat_major[i * nlon + j] = raw[j * nlat + i];
  return lat_major;
}

}  // namespace

std::unique_ptr<MonthlyGridReader::Source> open_netcdf_grid(const MonthlyGridSource& source) {
  return std::make_unique<NetcdfGrid>(source);
}

}  // namespace tessera::hydrology::et::detail
