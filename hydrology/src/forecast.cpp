#include "tessera/hydrology/forecast.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "tessera/hydrology/probabilistic.hpp"
#include "tessera/hydrology/units.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::hydrology {

namespace {

// "the issue day 2005-06-01" or "the issue time 2005-06-01 14:00".
std::string issue_text(Step as_of, TimeStep step) {
  return (step.daily() ? "the issue day " : "the issue time ") + format_step(as_of, step);
}

}  // namespace

std::vector<ForecastRow> forecast_as_of(DischargeModel& m, const TimeSeries& s, Step as_of) {
  const std::string issue = issue_text(as_of, s.step);
  if (as_of > s.last())
    throw std::runtime_error("the data ends on " + format_step(s.last(), s.step) + ", before " +
                             issue);
  if (as_of < s.first)
    throw std::runtime_error("the data starts on " + format_step(s.first, s.step) + ", after " +
                             issue);
  std::vector<double> thresholds;
  for (const Threshold& t : m.config.thresholds)
    thresholds.push_back(threshold_mm_day(t, basin_area(m.config)));
  const TimeSeries known = slice(s, s.first, as_of);
  const DischargeForecast f = predict_discharge(m, known, {as_of});
  std::vector<ForecastRow> rows;
  for (size_t l = 0; l < f.leads.size(); ++l) {
    const double* q = f.quantiles(0, l);
    ForecastRow r{as_of,
                  as_of + f.leads[l],
                  f.leads[l],
                  s.step,
                  f.mean(0, l),
                  f.quantile(0, l, 0.1),
                  f.quantile(0, l, 0.9),
                  {q, q + f.levels.size()},
                  {}};
    for (double t : thresholds) r.exceedance.push_back(exceedance_probability(f.levels, q, t));
    rows.push_back(r);
  }
  return rows;
}

int64_t steps_since_discharge(const TimeSeries& s, const std::string& discharge, Step as_of) {
  const std::vector<double>& q = s.at(discharge);
  for (Step d = std::min(as_of, s.last()); d >= s.first; --d)
    if (!std::isnan(value_on(q, s.first, d))) return as_of - d;
  return -1;
}

std::string require_recent_discharge(const TimeSeries& s, const std::string& discharge, Step as_of,
                                     int64_t max_stale_days) {
  const int64_t age = steps_since_discharge(s, discharge, as_of);
  if (age == 0) return "";
  const std::string issue = issue_text(as_of, s.step);
  if (age < 0)
    throw std::runtime_error("no discharge '" + discharge + "' is observed on or before " + issue +
                             ": the forecast has no state to start from");
  const std::string old = steps_in_unit(age, s.step) + " " + time_unit(s.step).name;
  const std::string last = "the last observed discharge '" + discharge + "' is from " +
                           format_step(as_of - age, s.step) + ", " + old + " before " + issue;
  if (age > steps_in_days(double(max_stale_days), s.step)) {
    const int64_t days = (age + s.step.per_day() - 1) / s.step.per_day();
    throw SettingError(
        "max_stale_days",
        last + ", older than the limit of " + std::to_string(max_stale_days) +
            " days: issue it as of a time with recent discharge, or raise the limit to " +
            std::to_string(days));
  }
  return "warning: " + last + ": the forecast starts from a state " + old + " old";
}

namespace {

// "q05" for 0.05: the column name of a quantile level.
std::string level_name(double level) {
  char text[16];
  std::snprintf(text, sizeof text, "q%02d", int(std::lround(level * 100)));
  return text;
}

void add_number(std::string& line, double x, const char* format) {
  char text[32];
  std::snprintf(text, sizeof text, format, x);
  line += ',';
  line += text;
}

}  // namespace

std::string forecast_csv(const std::vector<ForecastRow>& rows, double basin_area_km2,
                         const std::vector<Threshold>& thresholds) {
  const bool m3s = basin_area_km2 > 0;
  const double to_m3s = m3s ? 1 / unit_conversion("m3/s", "mm/day", basin_area_km2).scale : 0;
  const std::vector<double>& levels = forecast_levels();
  const bool quantiles = !rows.empty() && rows.front().quantiles.size() == levels.size();
  const TimeStep step = rows.empty() ? kDaily : rows.front().step;
  std::string out = "issue_date,target_date,lead_" + time_unit(step).name;
  for (const char* unit : {"mm_day", "m3s"}) {
    if (std::string(unit) == "m3s" && !m3s) continue;
    auto add_column = [&](const std::string& name) {
      out += ',';
      out += name;
      out += '_';
      out += unit;
    };
    for (const char* column : {"discharge", "low", "high"}) add_column(column);
    if (quantiles)
      for (double level : levels) add_column(level_name(level));
  }
  for (const Threshold& t : thresholds) {
    out += ",p_exceed_";
    out += t.name;
  }
  out += "\n";
  for (const ForecastRow& r : rows) {
    std::string line = format_step(r.issue, step);
    line += ',';
    line += format_step(r.target, step);
    line += ',';
    line += steps_in_unit(r.lead, step);
    for (const auto& [scale, format] : {std::pair{1.0, "%.4f"}, std::pair{to_m3s, "%.3f"}}) {
      if (scale == 0) continue;
      for (double x : {r.discharge, r.low, r.high}) add_number(line, x * scale, format);
      if (quantiles)
        for (double x : r.quantiles) add_number(line, x * scale, format);
    }
    for (size_t k = 0; k < thresholds.size(); ++k)
      add_number(line, k < r.exceedance.size() ? r.exceedance[k] : NAN, "%.3f");
    out += line + "\n";
  }
  return out;
}

}  // namespace tessera::hydrology
