#include "tessera/hydrology/series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tessera::hydrology {

namespace {

std::string names_of(const DailySeries& s) {
  std::vector<std::string> names;
  for (const auto& [name, v] : s.variables) names.push_back(name);
  return list_names(names);
}

}  // namespace

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
