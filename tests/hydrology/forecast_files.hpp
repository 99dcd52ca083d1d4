#pragma once
// A small weather-forecast NetCDF file for the forecast reader tests, written with netCDF's C++
// API (the reader uses the C API): an issue axis, a lead axis and two stations.
//   precip(issue, lead, station): float mm/day, 10 * issue index + lead index + 100 * station,
//                                 _FillValue -9999 at issue 1, lead 0, station 1
//   t2m(lead, issue):             short packed K, 0.1 * (10 * lead index + issue index) + 273.15
#include <netcdf>
#include <string>
#include <vector>

namespace tessera::testing {

struct ForecastNetcdf {
  std::vector<double> issues = {0, 1, 3};  // days since 2000-01-01: 1, 2 and 4 January
  std::string issue_units = "days since 2000-01-01 00:00:00";
  std::vector<double> leads = {24, 48};
  std::string lead_units = "hours";
  bool standard_names = true;  // else the axes are found by their names init_time and lead_time
  bool classic = false;
};

inline float forecast_precip(size_t issue, size_t lead, size_t station) {
  return float(10 * issue + lead + 100 * station);
}
inline short forecast_t2m_raw(size_t issue, size_t lead) {
  return short(10 * lead + issue);
}

inline void write_forecast_netcdf(const std::string& path, const ForecastNetcdf& spec) {
  using namespace netCDF;
  NcFile nc(path, NcFile::replace, spec.classic ? NcFile::classic : NcFile::nc4);
  const std::string issue_name = spec.standard_names ? "forecast_reference_time" : "init_time";
  const std::string lead_name = spec.standard_names ? "forecast_period" : "lead_time";
  const NcDim issue = nc.addDim(issue_name, spec.issues.size());
  const NcDim lead = nc.addDim(lead_name, spec.leads.size());
  const NcDim station = nc.addDim("station", 2);
  NcVar issue_var = nc.addVar(issue_name, ncDouble, issue);
  issue_var.putAtt("units", spec.issue_units);
  NcVar lead_var = nc.addVar(lead_name, ncDouble, lead);
  lead_var.putAtt("units", spec.lead_units);
  if (spec.standard_names) {
    issue_var.putAtt("standard_name", "forecast_reference_time");
    lead_var.putAtt("standard_name", "forecast_period");
  }
  NcVar precip = nc.addVar("precip", ncFloat, {issue, lead, station});
  precip.putAtt("units", "mm/day");
  precip.putAtt("_FillValue", ncFloat, -9999.f);
  NcVar t2m = nc.addVar("t2m", ncShort, {lead, issue});
  t2m.putAtt("units", "K");
  t2m.putAtt("scale_factor", ncDouble, 0.1);
  t2m.putAtt("add_offset", ncDouble, 273.15);
  issue_var.putVar(spec.issues.data());
  lead_var.putVar(spec.leads.data());
  std::vector<float> p;
  for (size_t i = 0; i < spec.issues.size(); ++i)
    for (size_t l = 0; l < spec.leads.size(); ++l)
      for (size_t s = 0; s < 2; ++s)
        p.push_back(i == 1 && l == 0 && s == 1 ? -9999.f : forecast_precip(i, l, s));
  precip.putVar(p.data());
  std::vector<short> t;
  for (size_t l = 0; l < spec.leads.size(); ++l)
    for (size_t i = 0; i < spec.issues.size(); ++i) t.push_back(forecast_t2m_raw(i, l));
  t2m.putVar(t.data());
}

}  // namespace tessera::testing
