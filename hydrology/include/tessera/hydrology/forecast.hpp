#pragma once
// The operational forecast: issued as of a step (a day, an hour) from the data up to it only.
//
//   std::vector<ForecastRow> rows = forecast_as_of(model, series, parse_date("2005-06-01"));
//   write to CSV with forecast_csv(rows, basin_area_km2);
#include <string>
#include <vector>

#include "tessera/hydrology/discharge_model.hpp"

namespace tessera::hydrology {

struct ForecastRow {
  Step issue = 0, target = 0;  // steps of `step`
  int64_t lead = 0;            // steps
  TimeStep step{};
  double discharge = 0;              // the forecast's mean, mm/day
  double low = 0, high = 0;          // its 10th and 90th percentiles, mm/day
  std::vector<double> quantiles{};   // at forecast_levels(), mm/day
  std::vector<double> exceedance{};  // probability of exceeding each of the config's thresholds
};

// Everything after `as_of` is cut off before the model sees the data, so later data (or its
// later revision) cannot change the forecast. Throws when the data ends before `as_of`, or when
// a threshold is in m3/s and the basin area is unknown.
std::vector<ForecastRow> forecast_as_of(DischargeModel& m, const TimeSeries& s, Step as_of);

// How old the discharge the forecast starts from is: steps from the last observation on or
// before `as_of` to `as_of` (0 when observed then), -1 when none is.
int64_t steps_since_discharge(const TimeSeries& s, const std::string& discharge, Step as_of);

// A forecasting model starts from the latest observed discharge, so a forecast issued long after
// it carries an old state forward as if it were today's. Throws SettingError("max_stale_days")
// saying how old it is when older than `max_stale_days` days (std::runtime_error when none is
// observed at all); otherwise returns a warning line when it is older than the issue step (""
// when fresh).
std::string require_recent_discharge(const TimeSeries& s, const std::string& discharge, Step as_of,
                                     int64_t max_stale_days);

// issue_date,target_date,lead_days (lead_hours for steps shorter than a
// day),discharge_mm_day,low_mm_day,high_mm_day, a column per quantile (q05_mm_day, ...), with a
// basin area the same in m3/s, and p_exceed_<name> per threshold (the rows' exceedance, in the
// order of `thresholds`).
std::string forecast_csv(const std::vector<ForecastRow>& rows, double basin_area_km2,
                         const std::vector<Threshold>& thresholds = {});

}  // namespace tessera::hydrology
