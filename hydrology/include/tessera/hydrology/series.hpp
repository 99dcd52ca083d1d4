#pragma once
// Time series: the one table every reader fills and every model reads. Consecutive steps of a
// day or a fraction of one from `first`, one column per variable, NaN where a value is missing.
// Fluxes are rates (mm/day) whatever the step, so that resampling is a mean and the models'
// units do not change with the step.
//
//   TimeSeries s = read_netcdf_series("salmon.nc", {"rain", "pet", "qobs"});
//   merge_into(s, resample(read_csv_series("gauge_5min.csv", mapping), s.step));
//   const std::vector<double>& q = s.at("qobs");   // q[i] is step s.first + i
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tessera/formats/calendar.hpp"

namespace tessera::hydrology {

// Days and dates are the formats calendar's (days since 1970-01-01, proleptic Gregorian), named
// here too because every hydrology interface speaks in them.
using formats::civil_date;
using formats::CivilDate;
using formats::Day;
using formats::day_of;
using formats::day_of_year;
using formats::format_date;
using formats::parse_date;

// A step that divides a day: 1d (the default), 1h, 30min, 15min, ...
struct TimeStep {
  int64_t seconds = 86400;

  bool daily() const { return seconds == 86400; }
  int64_t per_day() const { return 86400 / seconds; }
  double hours() const { return double(seconds) / 3600.0; }
  double days() const { return double(seconds) / 86400.0; }
  friend bool operator==(const TimeStep&, const TimeStep&) = default;
};
const TimeStep kDaily{};

// "1d", "24h", "1h", "30min", "15min", "300s", ...; throws std::invalid_argument naming the
// text when it is not a duration or does not divide a day evenly.
TimeStep parse_time_step(const std::string& text);
std::string format_time_step(TimeStep step);  // "1d", "1h", "15min", "10s"

// Steps since 1970-01-01 00:00 UTC: for a daily series the day number itself.
using Step = int64_t;
// The day a step lies in, and the first step of a day.
Day day_of_step(Step s, TimeStep step);
Step first_step_of(Day d, TimeStep step);
// The step holding `seconds` since 1970-01-01 00:00 UTC.
Step step_containing(int64_t seconds, TimeStep step);
// "YYYY-MM-DD" for daily steps, "YYYY-MM-DD hh:mm" (":ss" when needed) for shorter ones.
std::string format_step(Step s, TimeStep step);
// A date ("YYYY-MM-DD": its first step, or with `day_end` its last) or a date and time
// ("YYYY-MM-DD hh:mm[:ss]", "T" also, "Z" allowed: the step holding it); throws
// std::invalid_argument naming the text.
Step parse_step(const std::string& text, TimeStep step, bool day_end = false);
// Whole steps in `days` days (e.g. a year of warm-up, a window of days).
int64_t steps_in_days(double days, TimeStep step);

// The unit leads and durations are told in: days for daily steps, hours for shorter ones.
struct TimeUnit {
  std::string name;     // "days" or "hours"
  double per_step = 1;  // units in one step
  std::string singular() const { return name.substr(0, name.size() - 1); }
};
TimeUnit time_unit(TimeStep step);
// A number of steps in that unit, as the shortest text: "3" (days), "0.25" (hours).
std::string steps_in_unit(int64_t steps, TimeStep step);

struct Variable {
  std::vector<double> values;  // NaN = missing
  std::string units;           // as the source states them, "" when unknown
};

struct TimeSeries {
  Step first = 0;
  int64_t length = 0;
  std::map<std::string, Variable> variables;  // each `length` long
  TimeStep step{};

  Step last() const { return first + length - 1; }
  bool has(const std::string& name) const { return variables.count(name) > 0; }
  // Throws std::invalid_argument naming the variable and the ones there are.
  const std::vector<double>& at(const std::string& name) const;
  const Variable& variable(const std::string& name) const;
};

// Adds b's variables to a; the range becomes the union (NaN where a series has no data).
// Throws when both have a variable of the same name or their steps differ.
void merge_into(TimeSeries& a, const TimeSeries& b);

// Steps from..to inclusive (NaN outside the series' own range).
TimeSeries slice(const TimeSeries& s, Step from, Step to);

// The series on another step. To a longer step: the mean of the values inside each (the rates
// of fluxes averaged, so depths add up), NaN when fewer than half are there. To a shorter one:
// each value held over the steps it covers (a daily evaporation spread evenly over its hours).
TimeSeries resample(const TimeSeries& s, TimeStep to);

// v[step - first], NaN outside v.
double value_on(const std::vector<double>& v, Step first, Step step);

// "a, b, c" ("none" when empty), for messages that list what there is.
std::string list_names(const std::vector<std::string>& names);

}  // namespace tessera::hydrology
