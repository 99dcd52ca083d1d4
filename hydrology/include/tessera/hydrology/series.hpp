#pragma once
// Daily series: the one table every reader fills and every model reads. Consecutive days from
// `first`, one column per variable, NaN where a value is missing.
//
//   DailySeries s = read_netcdf_series("salmon.nc", {"rain", "pet", "qobs"});
//   merge_into(s, read_csv_series("extra.csv", mapping));
//   const std::vector<double>& q = s.at("qobs");   // q[i] is day s.first + i
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

struct Variable {
  std::vector<double> values;  // NaN = missing
  std::string units;           // as the source states them, "" when unknown
};

struct DailySeries {
  Day first = 0;
  int64_t days = 0;
  std::map<std::string, Variable> variables;  // each `days` long

  Day last() const { return first + days - 1; }
  bool has(const std::string& name) const { return variables.count(name) > 0; }
  // Throws std::invalid_argument naming the variable and the ones there are.
  const std::vector<double>& at(const std::string& name) const;
  const Variable& variable(const std::string& name) const;
};

// Adds b's variables to a; the day range becomes the union (NaN where a series has no data).
// Throws when both have a variable of the same name.
void merge_into(DailySeries& a, const DailySeries& b);

// Days from..to inclusive (NaN outside the series' own range).
DailySeries slice(const DailySeries& s, Day from, Day to);

// v[day - first], NaN outside v.
double value_on(const std::vector<double>& v, Day first, Day day);

// "a, b, c" ("none" when empty), for messages that list what there is.
std::string list_names(const std::vector<std::string>& names);

}  // namespace tessera::hydrology
