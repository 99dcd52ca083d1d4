// Weather forecasts from a CF NetCDF file: variables on an issue (forecast_reference_time) and a
// lead (forecast_period) dimension, optionally a station one, unpacked as station series are.
#include <algorithm>
#include <cmath>

#include "forecast_cells.hpp"
#include "netcdf_file.hpp"
#include "reader_util.hpp"
#include "tessera/hydrology/weather_forecasts.hpp"

namespace tessera::hydrology {

using namespace detail;

namespace {

// The 1-D numeric variable of CF standard name `standard`, else the first named one of `names`;
// -1 when none is.
int find_axis(const NcFile& f, const std::string& standard, const std::vector<std::string>& names) {
  int named = -1;
  for (int v = 0; v < f.variable_count(); ++v) {
    if (f.dims(v).size() != 1 || !numeric(f.type(v))) continue;
    if (f.text(v, "standard_name") == standard) return v;
    if (named < 0 && std::find(names.begin(), names.end(), f.name(v)) != names.end()) named = v;
  }
  return named;
}

int find_issue_axis(const NcFile& f) {
  const int v = find_axis(f, "forecast_reference_time",
                          {"forecast_reference_time", "reference_time", "issue_time", "init_time"});
  if (v < 0)
    fail(f.path,
         "no issue-time coordinate (standard_name forecast_reference_time, or a variable "
         "named forecast_reference_time, reference_time, issue_time or init_time)");
  return v;
}

int find_lead_axis(const NcFile& f) {
  const int v =
      find_axis(f, "forecast_period", {"forecast_period", "lead_time", "lead", "leadtime", "step"});
  if (v < 0)
    fail(f.path,
         "no lead coordinate (standard_name forecast_period, or a variable named "
         "forecast_period, lead_time, lead, leadtime or step)");
  return v;
}

// Issue days, each once and in order.
std::vector<Day> read_issue_days(const NcFile& f, int issue_var) {
  std::vector<Day> days;
  for (const int64_t seconds : read_times(f, issue_var))
    days.push_back(step_containing(seconds, kDaily));
  for (size_t i = 1; i < days.size(); ++i) {
    if (days[i] == days[i - 1])
      fail(f.path, "issue date " + format_date(days[i]) + " given twice (indices " +
                       std::to_string(i - 1) + " and " + std::to_string(i) + ")");
    if (days[i] < days[i - 1])
      fail(f.path, "issue dates out of order: " + format_date(days[i]) + " (index " +
                       std::to_string(i) + ") after " + format_date(days[i - 1]));
  }
  return days;
}

// Leads in whole days, each once.
std::vector<int64_t> read_leads(const NcFile& f, int lead_var, const ForecastCells& cells) {
  const std::string units(trim(f.text(lead_var, "units")));
  if (units.empty() || units.find(" since ") != std::string::npos)
    fail(f.path, "the lead coordinate '" + f.name(lead_var) + "' has units '" + units +
                     "', not a duration in days or hours");
  const double days_per_unit = unit_seconds(f.path, units) / 86400;
  const size_t n = f.length(f.dims(lead_var)[0]);
  f.require_storable(lead_var, double(n), "the lead dimension");
  std::vector<double> raw(n);
  if (n > 0) f.check(nc_get_var_double(f.id, lead_var, raw.data()), "reading leads");
  std::vector<int64_t> leads;
  for (size_t k = 0; k < n; ++k) {
    leads.push_back(cells.lead(raw[k] * days_per_unit, int64_t(k)));
    if (std::find(leads.begin(), leads.end() - 1, leads.back()) != leads.end() - 1)
      fail(f.path, "lead " + std::to_string(leads.back()) + " days given twice (lead index " +
                       std::to_string(k) + ")");
  }
  return leads;
}

// Numeric variables on both axes (and at most one more dimension), times and the axes left out.
std::vector<std::string> forecast_variables(const NcFile& f, int issue_dim, int lead_dim) {
  std::vector<std::string> names;
  for (int v = 0; v < f.variable_count(); ++v) {
    const std::vector<int> d = f.dims(v);
    const bool on_both = std::count(d.begin(), d.end(), issue_dim) == 1 &&
                         std::count(d.begin(), d.end(), lead_dim) == 1 && d.size() <= 3;
    const bool time = f.text(v, "units").find(" since ") != std::string::npos;
    if (on_both && numeric(f.type(v)) && !time) names.push_back(f.name(v));
  }
  return names;
}

// One station's values of `var`, issue-major: [issue * leads + lead index].
std::vector<double> read_grid(const NcFile& f, int var, int issue_dim, int lead_dim,
                              int64_t station) {
  const std::vector<int> d = f.dims(var);
  const size_t issues = f.length(issue_dim), leads = f.length(lead_dim);
  std::vector<size_t> start(d.size(), 0), count(d.size(), 1);
  for (size_t k = 0; k < d.size(); ++k) {
    if (d[k] == issue_dim || d[k] == lead_dim) {
      count[k] = f.length(d[k]);
    } else if (station < 0 || size_t(station) >= f.length(d[k])) {
      fail(f.path, "station " + std::to_string(station) + " is out of range (dimension '" +
                       f.dim_name(d[k]) + "' has " + std::to_string(f.length(d[k])) + ")");
    } else {
      start[k] = size_t(station);
    }
  }
  f.require_storable(var, double(issues) * double(leads), "the issue and lead dimensions");
  std::vector<double> v(issues * leads);
  if (!v.empty())
    f.check(nc_get_vara_double(f.id, var, start.data(), count.data(), v.data()), f.name(var));
  const bool lead_major =
      std::find(d.begin(), d.end(), lead_dim) < std::find(d.begin(), d.end(), issue_dim);
  if (!lead_major) return v;
  std::vector<double> issue_major(v.size());
  for (size_t i = 0; i < issues; ++i)
    for (size_t l = 0; l < leads; ++l) issue_major[i * leads + l] = v[l * issues + i];
  return issue_major;
}

}  // namespace

WeatherForecasts read_forecast_netcdf(const std::string& path,
                                      const std::vector<std::string>& variables, int64_t station,
                                      const std::vector<double>& missing_values) {
  const NcFile f(path);
  const int issue_var = find_issue_axis(f), lead_var = find_lead_axis(f);
  const int issue_dim = f.dims(issue_var)[0], lead_dim = f.dims(lead_var)[0];
  if (issue_dim == lead_dim)
    fail(path,
         "the issue and lead coordinates share the dimension '" + f.dim_name(issue_dim) + "'");
  ForecastCells cells(path, [](int64_t k) { return "lead index " + std::to_string(k); });
  const std::vector<Day> issues = read_issue_days(f, issue_var);
  const std::vector<int64_t> leads = read_leads(f, lead_var, cells);
  const std::vector<std::string> present = forecast_variables(f, issue_dim, lead_dim);
  const std::vector<std::string>& wanted = variables.empty() ? present : variables;
  if (wanted.empty()) fail(path, "no variables on the issue and lead dimensions");
  bool by_station = false;
  for (const std::string& name : wanted) {
    int var = -1;
    if (std::find(present.begin(), present.end(), name) == present.end() ||
        nc_inq_varid(f.id, name.c_str(), &var) != NC_NOERR)
      fail(path, "no variable '" + name + "' on the issue and lead dimensions '" +
                     f.dim_name(issue_dim) + "', '" + f.dim_name(lead_dim) +
                     "' (variables: " + list_names(present) + ")");
    std::vector<double> v = read_grid(f, var, issue_dim, lead_dim, station);
    unpack(f, var, v, missing_values);
    const int index = cells.variable(name, f.text(var, "units"));
    for (size_t i = 0; i < issues.size(); ++i)
      for (size_t l = 0; l < leads.size(); ++l)
        cells.add(index, issues[i], leads[l], v[i * leads.size() + l], int64_t(l));
    by_station = by_station || f.dims(var).size() == 3;
  }
  // Variables of issue and lead alone serve every station, but some variable must have the one
  // asked for.
  if (station != 0 && !by_station)
    fail(path, "station " + std::to_string(station) + " asked but no variable read has a " +
                   "station dimension");
  return cells.lay_out();
}

}  // namespace tessera::hydrology
