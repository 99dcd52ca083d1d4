#include "tessera/hydrology/series.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace tessera::hydrology {

namespace {

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int64_t y, int m) {
  static constexpr int length[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : length[m - 1];
}

// Digits text[at, at + n) as a number, or -1 when any is not a digit.
int digits(const std::string& text, size_t at, size_t n) {
  if (at + n > text.size()) return -1;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = 10 * v + (text[i] - '0');
  }
  return v;
}

std::string names_of(const DailySeries& s) {
  std::vector<std::string> names;
  for (const auto& [name, v] : s.variables) names.push_back(name);
  return list_names(names);
}

}  // namespace

// Hinnant's days_from_civil: eras of 400 years make the arithmetic exact for any year.
Day day_of(const CivilDate& date) {
  const int64_t y = int64_t(date.year) - (date.month <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (date.month + 9) % 12;  // March = 0, so the leap day ends the year
  const int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_date(Day day) {
  const int64_t z = day + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = int(doy - (153 * mp + 2) / 5 + 1);
  const int m = int(mp < 10 ? mp + 3 : mp - 9);
  return {int(yoe + era * 400 + (m <= 2)), m, d};
}

Day parse_date(const std::string& text) {
  const int y = digits(text, 0, 4), m = digits(text, 5, 2), d = digits(text, 8, 2);
  const bool shape = text.size() >= 10 && text[4] == '-' && text[7] == '-' &&
                     (text.size() == 10 || text[10] == 'T' || text[10] == ' ');
  if (!shape || y < 0 || m < 0 || d < 0)
    throw std::invalid_argument("not a date: '" + text + "' (expected YYYY-MM-DD)");
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    throw std::invalid_argument("no such day: '" + text + "'");
  return day_of({y, m, d});
}

std::string format_date(Day day) {
  const CivilDate c = civil_date(day);
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", c.year, c.month, c.day);
  return text;
}

int day_of_year(Day day) {
  return int(day - day_of({civil_date(day).year, 1, 1}) + 1);
}

const std::vector<double>& DailySeries::at(const std::string& name) const {
  return variable(name).values;
}

const Variable& DailySeries::variable(const std::string& name) const {
  const auto it = variables.find(name);
  if (it == variables.end())
    throw std::invalid_argument("no variable '" + name +
                                "' in the series (has: " + names_of(*this) + ")");
  return it->second;
}

DailySeries slice(const DailySeries& s, Day from, Day to) {
  if (to < from)
    throw std::invalid_argument("slice: " + format_date(to) + " is before " + format_date(from));
  DailySeries out{from, to - from + 1, {}};
  // Overlap of [from, to] with the series, as offsets into the series.
  const Day lo = std::max(from, s.first), hi = std::min(to, s.last());
  for (const auto& [name, v] : s.variables) {
    Variable& o = out.variables[name];
    o.units = v.units;
    o.values.assign(size_t(out.days), std::numeric_limits<double>::quiet_NaN());
    if (lo <= hi)
      std::copy(v.values.begin() + (lo - s.first), v.values.begin() + (hi - s.first + 1),
                o.values.begin() + (lo - from));
  }
  return out;
}

void merge_into(DailySeries& a, const DailySeries& b) {
  for (const auto& [name, v] : b.variables)
    if (a.has(name))
      throw std::invalid_argument("merge: both series have a variable '" + name + "'");
  if (a.days == 0 && b.days == 0) {
    for (const auto& [name, v] : b.variables) a.variables[name] = v;
    return;
  }
  // A series without days has no range of its own to widen the union with.
  const Day first = a.days == 0 ? b.first : b.days == 0 ? a.first : std::min(a.first, b.first);
  const Day last = a.days == 0 ? b.last() : b.days == 0 ? a.last() : std::max(a.last(), b.last());
  DailySeries merged = slice(a, first, last);
  for (auto& [name, v] : slice(b, first, last).variables) merged.variables[name] = std::move(v);
  a = std::move(merged);
}

double value_on(const std::vector<double>& v, Day first, Day day) {
  const int64_t i = day - first;
  return i >= 0 && i < int64_t(v.size()) ? v[size_t(i)] : std::numeric_limits<double>::quiet_NaN();
}

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace tessera::hydrology
