#pragma once
// The daily operational forecast: issued as of a day from the data up to that day only.
//
//   std::vector<ForecastRow> rows = forecast_as_of(model, series, parse_date("2005-06-01"));
//   write to CSV with forecast_csv(rows, basin_area_km2);
#include <string>
#include <vector>

#include "tessera/hydrology/discharge_model.hpp"

namespace tessera::hydrology {

struct ForecastRow {
  Day issue = 0, target = 0;
  int64_t lead = 0;
  double discharge = 0;      // ensemble mean, mm/day
  double low = 0, high = 0;  // ensemble 10th and 90th percentiles, mm/day
};

// Everything after `as_of` is cut off before the model sees the data, so later data (or its
// later revision) cannot change the forecast. Throws when the data ends before `as_of`.
std::vector<ForecastRow> forecast_as_of(DischargeModel& m, const DailySeries& s, Day as_of);

// issue_date,target_date,lead_days,discharge_mm_day,low_mm_day,high_mm_day and, with a basin
// area, the same three in m3/s.
std::string forecast_csv(const std::vector<ForecastRow>& rows, double basin_area_km2);

}  // namespace tessera::hydrology
