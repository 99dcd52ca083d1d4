#pragma once
// Weather forecasts as they were issued: for each issue day and lead (days ahead), a value per
// variable. What a forecast of discharge may use for the days after its issue day, where the
// observed weather of those days was not yet known.
//
//   WeatherForecasts f = read_forecast_table("ecmwf.csv", {.units = {{"rain", "mm/day"}}});
//   f.at("rain", parse_date("2020-05-01"), 2);  // rain issued on 1 May for 3 May
//   // Observed weather as if forecast perfectly: the upper bound of what forecasts can give.
//   WeatherForecasts best = perfect_forecasts(observed, {"rain", "tmax"}, 3);
//
// Every reader throws std::runtime_error with one line naming the file and what is wrong
// (missing, unknown variable, non-numeric cells, a lead below one day or not whole days, a
// value given twice for the same issue day, lead and variable, issue dates out of order on a
// NetCDF axis, a table cut short); missing values become NaN. Units are kept as the source
// states them.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tessera/hydrology/readers.hpp"
#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {

struct WeatherForecasts {
  Step first_issue = 0;  // issue steps first_issue .. first_issue + issues - 1
  int64_t issues = 0, max_lead = 0;
  // Each issues * max_lead long, issue-major: the value issued on day d for day d + lead is
  // values[(d - first_issue) * max_lead + lead - 1]; NaN where none was issued.
  std::map<std::string, Variable> variables;
  // Of issues and leads: days for the files read here, the observations' step for hindcasts.
  TimeStep step{};

  Step last_issue() const { return first_issue + issues - 1; }
  bool has(const std::string& variable) const { return variables.count(variable) > 0; }
  // The value of `variable` issued on day `issue` for day issue + lead; NaN outside the issue
  // days and leads 1..max_lead. Throws std::invalid_argument naming an unknown variable.
  double at(const std::string& variable, Step issue, int64_t lead) const;
};

// Adds b's variables to a; the issue days and leads become the union (NaN where a source has no
// value). Throws std::invalid_argument when both have a variable of the same name.
void merge_into(WeatherForecasts& a, const WeatherForecasts& b);

// One delimited table (CSV, semicolon or tab separated) with a header row and
//   an issue-date column, and a lead column (days ahead) or a target-date column (lead = target
//   - issue; with both, each row's target must be its issue date + lead), and
//   either a column per variable ("wide": issue_date,lead,rain,tmax)
//   or a variable-name column and a value column ("long": issue_date,lead,variable,value).
// Dates are ISO (a time of day after them is ignored). Empty names are detected from the header
// (case-insensitive; two candidates are refused as ambiguous).
struct ForecastTableMapping {
  // empty: issue_date, issue, issue_time, issued, forecast_reference_time, reference_time,
  // init_time, init_date, run_date, base_date
  std::string issue_column{};
  // empty: lead, lead_days, lead_day, lead_time, leadtime, forecast_period, horizon, step,
  // days_ahead
  std::string lead_column{};
  std::string lead_units = "days";  // of the lead column: days or hours (whole days)
  // empty: target_date, target, valid_date, valid_time, valid, forecast_date, date, time,
  // datetime
  std::string target_column{};
  // Long form; empty: variable, variable_name, var, parameter, param and value, values. A table
  // with neither is wide.
  std::string variable_column{}, value_column{};
  // Variable name -> its column header (wide) or its name in the variable column (long); empty:
  // every variable in the table under its own name.
  std::map<std::string, std::string> columns{};
  std::map<std::string, std::string> units{};  // variable name -> units
  std::vector<double> missing_values{};        // numbers meaning "missing" (e.g. -999)
  char delimiter = 0;                          // 0: detected from the header (, ; or tab)
};
WeatherForecasts read_forecast_table(const std::string& path, const ForecastTableMapping& m = {});

// A CF NetCDF file with an issue dimension (its coordinate of standard_name
// forecast_reference_time, or named forecast_reference_time, reference_time, issue_time or
// init_time; "<unit> since <date>" units) and a lead dimension (standard_name forecast_period, or
// named forecast_period, lead_time, lead, leadtime or step; units days or hours, whole days from
// one), and variables on (issue, lead) in either order, or on those and a station dimension,
// `station` picking one. _FillValue, missing_value and `missing_values` (compared before
// scaling) -> NaN, scale_factor / add_offset applied, as read_netcdf_series does. Empty
// `variables`: every variable on both dimensions.
WeatherForecasts read_forecast_netcdf(const std::string& path,
                                      const std::vector<std::string>& variables = {},
                                      int64_t station = 0,
                                      const std::vector<double>& missing_values = {});

// A folder with a table per issue day: the issue date in the file name (YYYY-MM-DD, or YYYYMMDD
// possibly followed by the hour, anywhere in it), the rows dated by their target day and read by
// read_csv_series with `m`. Reads the files ending .csv, .tsv or .txt (any case) and not
// starting with '.'; every one must name one issue date, hold the same variables and only target
// days after its issue day.
WeatherForecasts read_forecast_folder(const std::string& folder, const CsvMapping& m = {});

// The wide table read_forecast_table reads back (issue_date, lead, a column per variable; values
// as the shortest text that reads back to the same double, empty where missing; rows where every
// value is missing left out), written whole or not at all. Units are not stored: give them with
// ForecastTableMapping::units. Throws std::invalid_argument for forecasts without variables.
void write_forecast_table(const std::string& path, const WeatherForecasts& f);

// Observed weather as if it had been forecast perfectly: at(v, issue, lead) = observed v on step
// issue + lead, for every observed step as issue step and leads 1..max_lead (NaN beyond the
// observations). The upper bound of what forecasts can give, to be labelled so wherever it is
// used. Empty `variables`: every observed variable. Throws std::invalid_argument for an unknown
// variable or max_lead < 1.
WeatherForecasts perfect_forecasts(const TimeSeries& observed,
                                   const std::vector<std::string>& variables, int64_t max_lead);

// Forecast error growing with lead, for noisy_forecasts.
struct ForecastNoise {
  // Precipitation-like variables: x * exp(s z - s^2 / 2), z standard normal, s = relative *
  // sqrt(lead in days): never negative, zero stays zero, unbiased in the mean.
  double relative = 0.3;
  // Temperatures: x + sd z, sd = temperature_degc * sqrt(lead in days).
  double temperature_degc = 1.0;
  uint64_t seed = 0;
  // Variables taking the additive temperature noise, besides those whose units are a
  // temperature's (K, degC, degF, ...).
  std::vector<std::string> temperature_variables{};
};
// perfect_forecasts with each value perturbed by `noise`. A value's draw depends only on the
// seed, its variable, issue day and lead: the same seed gives the same values on any range of
// observations and in any standard library. Throws std::invalid_argument for negative error
// sizes, a temperature variable not among `variables`, or a precipitation-like variable with
// negative observations (name it in temperature_variables).
WeatherForecasts noisy_forecasts(const TimeSeries& observed,
                                 const std::vector<std::string>& variables, int64_t max_lead,
                                 const ForecastNoise& noise);

}  // namespace tessera::hydrology
