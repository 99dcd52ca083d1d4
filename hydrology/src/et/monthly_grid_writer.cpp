// MonthlyGridWriter: CF-1.8 NetCDF-4 through the netCDF C API, written to an AtomicFile's
// temporary and renamed into place on commit.
#include <netcdf.h>

#include <cmath>
#include <stdexcept>

#include "tessera/formats/calendar.hpp"
#include "tessera/hydrology/et/monthly_grid.hpp"
#include "tessera/io/atomic_file.hpp"

namespace tessera::hydrology::et {

namespace {

constexpr int kDeflateLevel = 4;  // most of deflate's gain at a fraction of level 9's time

}  // namespace

struct MonthlyGridWriter::State {
  std::string path;
  AtomicFile file;
  int id = -1;  // open NetCDF file; -1 once closed
  std::vector<double> lat, lon;
  std::vector<GridVariable> variables;
  int time_var = -1;
  std::vector<int> data_vars;
  size_t months = 0;
  MonthIndex last = 0;

  explicit State(const std::string& p) : path(p), file(p, ".nc") {}
  ~State() {
    if (id >= 0) nc_close(id);  // the AtomicFile then removes the temporary
  }

  void check(int status, const std::string& what) const {
    if (status != NC_NOERR)
      throw std::runtime_error(path + ": " + what + ": " + nc_strerror(status));
  }
  void text(int var, const char* name, const std::string& value) const {
    check(nc_put_att_text(id, var, name, value.size(), value.c_str()),
          std::string("attribute ") + name);
  }
  int coordinate(const char* name, int dim, const char* units, const char* standard,
                 const char* axis) const {
    int var = -1;
    check(nc_def_var(id, name, NC_DOUBLE, 1, &dim, &var), std::string("variable ") + name);
    text(var, "units", units);
    text(var, "standard_name", standard);
    text(var, "long_name", standard);
    text(var, "axis", axis);
    return var;
  }
  void define(const std::map<std::string, std::string>& global_attributes);
  void require_frames(MonthIndex month, const std::vector<std::vector<double>>& values) const;
};

void MonthlyGridWriter::State::define(const std::map<std::string, std::string>& global) {
  check(nc_create(file.temp_path().c_str(), NC_NETCDF4 | NC_CLOBBER, &id), "creating");
  int time_dim = -1, lat_dim = -1, lon_dim = -1;
  check(nc_def_dim(id, "time", NC_UNLIMITED, &time_dim), "dimension time");
  check(nc_def_dim(id, "lat", lat.size(), &lat_dim), "dimension lat");
  check(nc_def_dim(id, "lon", lon.size(), &lon_dim), "dimension lon");
  time_var = coordinate("time", time_dim, "days since 1970-01-01", "time", "T");
  text(time_var, "calendar", "gregorian");
  const int lat_var = coordinate("lat", lat_dim, "degrees_north", "latitude", "Y");
  const int lon_var = coordinate("lon", lon_dim, "degrees_east", "longitude", "X");
  const int dims[3] = {time_dim, lat_dim, lon_dim};
  const size_t chunk[3] = {1, lat.size(), lon.size()};  // one month per chunk
  const float fill = NC_FILL_FLOAT;
  for (const GridVariable& v : variables) {
    int var = -1;
    check(nc_def_var(id, v.name.c_str(), NC_FLOAT, 3, dims, &var), "variable " + v.name);
    check(nc_def_var_chunking(id, var, NC_CHUNKED, chunk), "chunking " + v.name);
    check(nc_def_var_deflate(id, var, 1, 1, kDeflateLevel), "compressing " + v.name);
    check(nc_put_att_float(id, var, "_FillValue", NC_FLOAT, 1, &fill), "fill of " + v.name);
    text(var, "units", v.units);
    text(var, "long_name", v.long_name);
    data_vars.push_back(var);
  }
  if (!global.count("Conventions")) text(NC_GLOBAL, "Conventions", "CF-1.8");
  for (const auto& [name, value] : global) text(NC_GLOBAL, name.c_str(), value);
  check(nc_enddef(id), "defining");
  check(nc_put_var_double(id, lat_var, lat.data()), "writing lat");
  check(nc_put_var_double(id, lon_var, lon.data()), "writing lon");
}

namespace {

void require_axis(const std::string& path, const std::vector<double>& v, const char* name) {
  if (v.empty()) throw std::invalid_argument(path + ": no " + std::string(name) + " cells");
  for (double x : v)
    if (!std::isfinite(x))
      throw std::invalid_argument(path + ": a " + std::string(name) + " value is not finite");
}

}  // namespace

MonthlyGridWriter::MonthlyGridWriter(const std::string& path, std::vector<double> lat,
                                     std::vector<double> lon, std::vector<GridVariable> variables,
                                     const std::map<std::string, std::string>& global_attributes) {
  require_axis(path, lat, "lat");
  require_axis(path, lon, "lon");
  if (variables.empty()) throw std::invalid_argument(path + ": no variables to write");
  state_ = std::make_unique<State>(path);
  state_->lat = std::move(lat);
  state_->lon = std::move(lon);
  state_->variables = std::move(variables);
  state_->define(global_attributes);
}

MonthlyGridWriter::~MonthlyGridWriter() = default;
MonthlyGridWriter::MonthlyGridWriter(MonthlyGridWriter&&) noexcept = default;
MonthlyGridWriter& MonthlyGridWriter::operator=(MonthlyGridWriter&&) noexcept = default;

// Checked whole before anything is written, so that a refused month leaves the file as it was.
void MonthlyGridWriter::State::require_frames(
    MonthIndex month, const std::vector<std::vector<double>>& values) const {
  if (id < 0) throw std::logic_error(path + ": written after commit");
  if (months > 0 && month <= last)
    throw std::invalid_argument(path + ": month " + format_month(month) + " written after " +
                                format_month(last));
  if (values.size() != variables.size())
    throw std::invalid_argument(path + ": " + std::to_string(values.size()) + " frames for " +
                                std::to_string(variables.size()) + " variables");
  for (size_t v = 0; v < values.size(); ++v)
    if (values[v].size() != lat.size() * lon.size())
      throw std::invalid_argument(path + ": the frame of '" + variables[v].name + "' has " +
                                  std::to_string(values[v].size()) + " values, the grid " +
                                  std::to_string(lat.size() * lon.size()));
}

void MonthlyGridWriter::write(MonthIndex month, const std::vector<std::vector<double>>& values) {
  State& s = *state_;
  s.require_frames(month, values);
  std::vector<float> frame(s.lat.size() * s.lon.size());
  const size_t start[3] = {s.months, 0, 0}, count[3] = {1, s.lat.size(), s.lon.size()};
  for (size_t v = 0; v < values.size(); ++v) {
    for (size_t i = 0; i < frame.size(); ++i)
      frame[i] = std::isnan(values[v][i]) ? NC_FILL_FLOAT : float(values[v][i]);
    s.check(nc_put_vara_float(s.id, s.data_vars[v], start, count, frame.data()),
            "writing " + s.variables[v].name);
  }
  const double day = double(formats::day_of({int(year_of(month)), calendar_month(month), 1}));
  s.check(nc_put_vara_double(s.id, s.time_var, start, count, &day), "writing time");
  s.last = month;
  ++s.months;
}

void MonthlyGridWriter::commit() {
  State& s = *state_;
  if (s.id < 0) throw std::logic_error(s.path + ": committed twice");
  const int id = s.id;
  s.id = -1;
  s.check(nc_close(id), "closing");
  s.file.commit();
}

}  // namespace tessera::hydrology::et
