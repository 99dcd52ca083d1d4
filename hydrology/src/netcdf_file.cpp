#include "netcdf_file.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "netcdf_classic.hpp"
#include "reader_util.hpp"

namespace tessera::hydrology::detail {

namespace {

// How many times its size on disk a compressed variable may be: deflate's best ratio is about
// 1032:1, so a file claiming more holds data that is not there.
constexpr double kMaxCompression = 1100;

// Days of years 1 to 9999: a time value outside is corrupt, and would overflow a day number.
constexpr double kFirstDay = -719162, kLastDay = 2932896;

}  // namespace

NcFile::NcFile(const std::string& p) : path(p) {
  require_file(path);
  std::error_code ec;
  bytes = double(std::filesystem::file_size(path, ec));
  require_whole_classic_netcdf(path);
  const int status = nc_open(path.c_str(), NC_NOWRITE, &id);
  if (status != NC_NOERR) fail(path, std::string("not a NetCDF file: ") + nc_strerror(status));
  int format = 0;
  check(nc_inq_format(id, &format), "format");
  netcdf4 = format == NC_FORMAT_NETCDF4 || format == NC_FORMAT_NETCDF4_CLASSIC;
}

NcFile::~NcFile() {
  nc_close(id);
}

void NcFile::check(int status, const std::string& what) const {
  if (status != NC_NOERR) fail(path, what + ": " + nc_strerror(status));
}

std::string NcFile::name(int var) const {
  char text[NC_MAX_NAME + 1] = {};
  check(nc_inq_varname(id, var, text), "variable name");
  return text;
}

std::vector<int> NcFile::dims(int var) const {
  int n = 0;
  check(nc_inq_varndims(id, var, &n), "variable dimensions");
  std::vector<int> d(size_t(n), 0);
  check(nc_inq_vardimid(id, var, d.data()), "variable dimensions");
  return d;
}

nc_type NcFile::type(int var) const {
  nc_type t = NC_NAT;
  check(nc_inq_vartype(id, var, &t), "variable type");
  return t;
}

size_t NcFile::length(int dim) const {
  size_t n = 0;
  check(nc_inq_dimlen(id, dim, &n), "dimension length");
  return n;
}

std::string NcFile::dim_name(int dim) const {
  char text[NC_MAX_NAME + 1] = {};
  check(nc_inq_dimname(id, dim, text), "dimension name");
  return text;
}

int NcFile::variable_count() const {
  int n = 0;
  check(nc_inq_nvars(id, &n), "variables");
  return n;
}

void NcFile::require_storable(int var, double count, const std::string& what) const {
  size_t size = 0;
  check(nc_inq_type(id, type(var), nullptr, &size), "variable type");
  const double limit = bytes * (netcdf4 ? kMaxCompression : 1);
  if (count * double(size) > limit)
    fail(path, what + " claims " + std::to_string(int64_t(count)) + " values of '" + name(var) +
                   "', more than a file of " + std::to_string(int64_t(bytes)) +
                   " bytes can hold (corrupt or crafted)");
}

// An attribute's length, refused when longer than the file.
size_t NcFile::attribute_length(size_t n, const char* att) const {
  if (double(n) > bytes) fail(path, std::string("attribute '") + att + "' is longer than the file");
  return n;
}

std::string NcFile::text(int var, const char* att) const {
  nc_type t = NC_NAT;
  size_t n = 0;
  if (nc_inq_att(id, var, att, &t, &n) != NC_NOERR) return "";
  if (t == NC_CHAR) {
    std::string s(attribute_length(n, att), '\0');
    check(nc_get_att_text(id, var, att, s.data()), att);
    return s.substr(0, s.find('\0'));
  }
  if (t != NC_STRING || n != 1) return "";
  char* s = nullptr;
  check(nc_get_att_string(id, var, att, &s), att);
  std::string out = s ? s : "";
  nc_free_string(1, &s);
  return out;
}

std::vector<double> NcFile::numbers(int var, const char* att) const {
  nc_type t = NC_NAT;
  size_t n = 0;
  if (nc_inq_att(id, var, att, &t, &n) != NC_NOERR || t == NC_CHAR || t == NC_STRING) return {};
  std::vector<double> v(attribute_length(n, att));
  if (n > 0) check(nc_get_att_double(id, var, att, v.data()), att);
  return v;
}

bool numeric(nc_type t) {
  return t != NC_CHAR && t != NC_STRING && t <= NC_UINT64;
}

std::vector<int64_t> read_times(const NcFile& f, int time_var) {
  const TimeAxis axis =
      parse_time_axis(f.path, f.text(time_var, "units"), f.text(time_var, "calendar"));
  if (!numeric(f.type(time_var)))
    fail(f.path, "the time coordinate '" + f.name(time_var) + "' is not numeric");
  const size_t n = f.length(f.dims(time_var)[0]);
  f.require_storable(time_var, double(n), "the time dimension");
  std::vector<double> t(n);
  if (!t.empty()) f.check(nc_get_var_double(f.id, time_var, t.data()), "reading time");
  std::vector<int64_t> seconds(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    const double now = axis.days(t[i]);
    if (!std::isfinite(t[i])) fail(f.path, "time value " + std::to_string(i) + " is missing");
    if (!(now >= kFirstDay && now <= kLastDay))
      fail(f.path, "time value " + std::to_string(i) + " lies outside the years 1 to 9999");
    // To the second: float times a hair below the hour still name the hour.
    seconds[i] = int64_t(std::llround(axis.seconds(t[i])));
  }
  return seconds;
}

namespace {

// Values equal to these (before unpacking) are missing.
std::vector<double> missing_markers(const NcFile& f, int var, const std::vector<double>& extra) {
  std::vector<double> m = f.numbers(var, "_FillValue");
  if (m.empty() && f.type(var) == NC_FLOAT) m.push_back(NC_FILL_FLOAT);
  if (m.empty() && f.type(var) == NC_DOUBLE) m.push_back(NC_FILL_DOUBLE);
  const std::vector<double> mv = f.numbers(var, "missing_value");
  m.insert(m.end(), mv.begin(), mv.end());
  m.insert(m.end(), extra.begin(), extra.end());
  return m;
}

}  // namespace

void unpack(const NcFile& f, int var, std::vector<double>& values,
            const std::vector<double>& extra_missing) {
  const std::vector<double> missing = missing_markers(f, var, extra_missing);
  const std::vector<double> scale = f.numbers(var, "scale_factor");
  const std::vector<double> offset = f.numbers(var, "add_offset");
  const double a = scale.empty() ? 1 : scale[0], b = offset.empty() ? 0 : offset[0];
  // A float variable's markers are compared in float: a double attribute may not be exactly the
  // float stored.
  const bool as_float = f.type(var) == NC_FLOAT;
  for (double& x : values) {
    const bool marked = std::any_of(missing.begin(), missing.end(), [&](double m) {
      return x == m || (as_float && float(x) == float(m));
    });
    x = marked ? std::numeric_limits<double>::quiet_NaN() : x * a + b;
  }
}

}  // namespace tessera::hydrology::detail
