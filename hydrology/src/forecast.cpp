#include "tessera/hydrology/forecast.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "tessera/hydrology/units.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::hydrology {

std::vector<ForecastRow> forecast_as_of(DischargeModel& m, const DailySeries& s, Day as_of) {
  if (as_of > s.last())
    throw std::runtime_error("the data ends on " + format_date(s.last()) +
                             ", before the issue day " + format_date(as_of));
  if (as_of < s.first)
    throw std::runtime_error("the data starts on " + format_date(s.first) +
                             ", after the issue day " + format_date(as_of));
  const DailySeries known = slice(s, s.first, as_of);
  const DischargeForecast f = predict_discharge(m, known, {as_of});
  std::vector<ForecastRow> rows;
  for (size_t l = 0; l < f.leads.size(); ++l)
    rows.push_back({as_of, as_of + f.leads[l], f.leads[l], f.mean(0, l), f.quantile(0, l, 0.1),
                    f.quantile(0, l, 0.9)});
  return rows;
}

int64_t days_since_discharge(const DailySeries& s, const std::string& discharge, Day as_of) {
  const std::vector<double>& q = s.at(discharge);
  for (Day d = std::min(as_of, s.last()); d >= s.first; --d)
    if (!std::isnan(value_on(q, s.first, d))) return as_of - d;
  return -1;
}

std::string require_recent_discharge(const DailySeries& s, const std::string& discharge, Day as_of,
                                     int64_t max_stale_days) {
  const int64_t age = days_since_discharge(s, discharge, as_of);
  if (age == 0) return "";
  const std::string issue = "the issue day " + format_date(as_of);
  if (age < 0)
    throw std::runtime_error("no discharge '" + discharge + "' is observed on or before " + issue +
                             ": the forecast has no state to start from");
  const std::string last = "the last observed discharge '" + discharge + "' is from " +
                           format_date(as_of - age) + ", " + std::to_string(age) + " days before " +
                           issue;
  if (age > max_stale_days)
    throw SettingError(
        "max_stale_days",
        last + ", older than the limit of " + std::to_string(max_stale_days) +
            " days: issue it as of a day with recent discharge, or raise the limit to " +
            std::to_string(age));
  return "warning: " + last + ": the forecast starts from a state " + std::to_string(age) +
         " days old";
}

std::string forecast_csv(const std::vector<ForecastRow>& rows, double basin_area_km2) {
  const bool m3s = basin_area_km2 > 0;
  const double to_m3s = m3s ? 1 / unit_conversion("m3/s", "mm/day", basin_area_km2).scale : 0;
  std::string out = "issue_date,target_date,lead_days,discharge_mm_day,low_mm_day,high_mm_day";
  out += m3s ? ",discharge_m3s,low_m3s,high_m3s\n" : "\n";
  char line[256];
  for (const ForecastRow& r : rows) {
    std::snprintf(line, sizeof line, "%s,%s,%lld,%.4f,%.4f,%.4f", format_date(r.issue).c_str(),
                  format_date(r.target).c_str(), (long long)r.lead, r.discharge, r.low, r.high);
    out += line;
    if (m3s) {
      std::snprintf(line, sizeof line, ",%.3f,%.3f,%.3f", r.discharge * to_m3s, r.low * to_m3s,
                    r.high * to_m3s);
      out += line;
    }
    out += "\n";
  }
  return out;
}

}  // namespace tessera::hydrology
