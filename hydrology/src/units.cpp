#include "tessera/hydrology/units.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>
#include <vector>

namespace tessera::hydrology {

namespace {

enum class Quantity { discharge, flux, temperature };

// A unit as `scale * value + offset` in its quantity's base unit: m3/s, mm/day or degC.
struct Unit {
  Quantity quantity;
  double scale, offset = 0;
};

constexpr double cubic_foot_m3 = 0.028316846592;

// Lower case, runs of blanks as one space, "^" and "**" powers spelt the same.
std::string normalise(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = char(std::tolower(static_cast<unsigned char>(text[i])));
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (c == '^' || (c == '*' && i + 1 < text.size() && text[i + 1] == '*')) {
      i += c == '*';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

const std::map<std::string, Unit>& known_units() {
  using enum Quantity;
  static const std::map<std::string, Unit> table = {
      {"m3/s", {discharge, 1}},
      {"m3 s-1", {discharge, 1}},
      {"cms", {discharge, 1}},
      {"ft3/s", {discharge, cubic_foot_m3}},
      {"ft3 s-1", {discharge, cubic_foot_m3}},
      {"cfs", {discharge, cubic_foot_m3}},
      {"l/s", {discharge, 1e-3}},
      {"l s-1", {discharge, 1e-3}},
      {"mm/day", {flux, 1}},
      {"mm", {flux, 1}},  // a depth per step of a daily series
      {"m", {flux, 1000}},
      {"mm/d", {flux, 1}},
      {"mm d-1", {flux, 1}},
      {"mm day-1", {flux, 1}},
      {"kg m-2 s-1", {flux, 86400}},  // 1 kg of water per m2 is 1 mm
      {"mm/h", {flux, 24}},
      {"mm h-1", {flux, 24}},
      {"mm/hr", {flux, 24}},
      {"m/day", {flux, 1000}},
      {"m/d", {flux, 1000}},
      {"m d-1", {flux, 1000}},
      {"k", {temperature, 1, -273.15}},
      {"kelvin", {temperature, 1, -273.15}},
      {"degc", {temperature, 1}},
      {"c", {temperature, 1}},
      {"deg_c", {temperature, 1}},
      {"celsius", {temperature, 1}},
      {"degf", {temperature, 5.0 / 9.0, -32 * 5.0 / 9.0}},
      {"f", {temperature, 5.0 / 9.0, -32 * 5.0 / 9.0}},
  };
  return table;
}

// Discharge over a basin as a depth: 1 m3/s spread over 1 km2 is 86.4 mm/day.
Unit as_flux(const Unit& u, double basin_area_km2) {
  return u.quantity == Quantity::discharge ? Unit{Quantity::flux, u.scale * 86.4 / basin_area_km2}
                                           : u;
}

}  // namespace

UnitConversion unit_conversion(const std::string& from, const std::string& to,
                               double basin_area_km2) {
  const std::string f = normalise(from), t = normalise(to);
  if (f == t) return {1, 0};
  const auto& table = known_units();
  const auto fi = table.find(f), ti = table.find(t);
  const std::string what = "cannot convert '" + from + "' to '" + to + "'";
  if (fi == table.end() || ti == table.end()) throw std::invalid_argument(what + ": unknown units");
  Unit a = fi->second, b = ti->second;
  if (a.quantity != b.quantity) {
    const bool depth = (a.quantity == Quantity::discharge && b.quantity == Quantity::flux) ||
                       (a.quantity == Quantity::flux && b.quantity == Quantity::discharge);
    if (!depth) throw std::invalid_argument(what + ": different quantities");
    if (!(basin_area_km2 > 0))
      throw std::invalid_argument(what + ": needs the basin area in km2 (> 0)");
    a = as_flux(a, basin_area_km2);
    b = as_flux(b, basin_area_km2);
  }
  // value_to = (value_base - b.offset) / b.scale with value_base = value * a.scale + a.offset.
  return {a.scale / b.scale, (a.offset - b.offset) / b.scale};
}

void convert_units(Variable& v, const std::string& to, double basin_area_km2) {
  const UnitConversion c = unit_conversion(v.units, to, basin_area_km2);
  std::transform(v.values.begin(), v.values.end(), v.values.begin(),
                 [&](double x) { return x * c.scale + c.offset; });
  v.units = to;
}

void depths_to_rates(Variable& v, TimeStep step) {
  const std::string unit = normalise(v.units);
  if (step.daily() || (unit != "mm" && unit != "m")) return;
  const UnitConversion c = unit_conversion(unit, "mm/day");  // a depth per day
  for (double& x : v.values) x *= c.scale * double(step.per_day());
  v.units = "mm/day";
}

namespace {

// Minimum, maximum (with their indices) and mean of the values that are not missing.
struct Stats {
  double min = INFINITY, max = -INFINITY, mean = 0;
  size_t argmin = 0, argmax = 0;
  int64_t count = 0;
};

Stats stats_of(const std::vector<double>& v) {
  Stats s;
  double sum = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) continue;
    if (v[i] < s.min) s.min = v[i], s.argmin = i;
    if (v[i] > s.max) s.max = v[i], s.argmax = i;
    sum += v[i], ++s.count;
  }
  s.mean = s.count > 0 ? sum / double(s.count) : 0;
  return s;
}

// Where a measure's daily values lie in its base unit: every value within [lo, hi] and, over a
// year or more of data, the mean within [mean_lo, mean_hi]; `typical` picks between units that
// both fit.
struct Range {
  double lo, hi, mean_lo, mean_hi, typical;
};
constexpr int64_t kDaysForMean = 365;  // a shorter series may be a dry or a cold season

Range range_of(Measure m, const PlausibilityContext& c) {
  switch (m) {
    case Measure::temperature:  // air: record -89 and 57 degC
      return {-90, 60, -60, 40, 10};
    case Measure::precipitation:  // record day 1825 mm; driest and wettest climates
      return {-0.5, 2000, 0.01, 40, 2.5};
    case Measure::evaporation:  // small negatives are dew
      return {-5, 100, 0.01, 20, 2};
    case Measure::discharge:
      if (c.precipitation_mean > 0)  // runoff from 0.05 % to 3 times what falls
        return {0, 2000, 5e-4 * c.precipitation_mean, 3 * c.precipitation_mean,
                0.4 * c.precipitation_mean};
      return {0, 2000, 1e-4, 50, 1};
  }
  return {};
}

const char* base_unit(Measure m) {
  return m == Measure::temperature ? "degC" : "mm/day";
}

// Units a series of the measure is often written in, with what to call them.
const std::vector<std::pair<std::string, std::string>>& candidates(Measure m) {
  static const std::vector<std::pair<std::string, std::string>> temperature = {
      {"K", "kelvin (K)"},
      {"degC", "degrees Celsius (degC)"},
      {"degF", "degrees Fahrenheit (degF)"}};
  static const std::vector<std::pair<std::string, std::string>> flux = {
      {"mm/day", "mm/day"},
      {"m/day", "metres per day (m/day)"},
      {"kg m-2 s-1", "kg m-2 s-1 (mm per second)"},
      {"mm/h", "mm per hour (mm/h)"}};
  static const std::vector<std::pair<std::string, std::string>> discharge = {
      {"m3/s", "m3/s"},
      {"l/s", "litres per second (l/s)"},
      {"ft3/s", "cubic feet per second (ft3/s)"},
      {"mm/day", "mm/day"}};
  return m == Measure::temperature ? temperature : m == Measure::discharge ? discharge : flux;
}

// `for_mean`: the values in a year, below which the mean is not checked.
bool fits(const Stats& s, const UnitConversion& c, const Range& r, int64_t for_mean) {
  const double lo = s.min * c.scale + c.offset, hi = s.max * c.scale + c.offset;
  const double mean = s.mean * c.scale + c.offset;
  if (lo < r.lo || hi > r.hi) return false;
  const bool all_zero = s.min == 0 && s.max == 0;  // a rainless year reads the same in any unit
  return s.count < for_mean || all_zero || (mean >= r.mean_lo && mean <= r.mean_hi);
}

// How far the mean read in `c` is from the measure's typical value.
double distance(Measure m, const Stats& s, const UnitConversion& c, const Range& r) {
  const double mean = s.mean * c.scale + c.offset;
  if (m == Measure::temperature) return std::abs(mean - r.typical);
  return mean > 0 ? std::abs(std::log(mean / r.typical)) : INFINITY;
}

std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", x);
  return text;
}

}  // namespace

void require_plausible(const Variable& v, Step first, TimeStep step, Measure m,
                       const std::string& name, const std::string& assumed,
                       const PlausibilityContext& context) {
  const Stats s = stats_of(v.values);
  const std::string unit = v.units.empty() ? assumed : v.units;
  if (s.count == 0 || unit.empty() || !known_units().count(normalise(unit))) return;
  Range r = range_of(m, context);
  // An hour's rate of rain may be many times a day's (300 mm in an hour is 7200 mm/day); the
  // means, temperatures and a basin's discharge do not change so with the step.
  if (m == Measure::precipitation || m == Measure::evaporation) r.hi *= double(step.per_day());
  const int64_t for_mean = steps_in_days(kDaysForMean, step);
  if (fits(s, unit_conversion(unit, base_unit(m), context.basin_area_km2), r, for_mean)) return;
  std::string best, best_name;
  double best_distance = INFINITY;
  for (const auto& [other, called] : candidates(m)) {
    if (normalise(other) == normalise(unit)) continue;
    UnitConversion c;
    try {
      c = unit_conversion(other, base_unit(m), context.basin_area_km2);
    } catch (const std::invalid_argument&) {
      continue;  // a volume without the basin area
    }
    const double d = distance(m, s, c, r);
    if (fits(s, c, r, for_mean) && d < best_distance)
      best = other, best_name = called, best_distance = d;
  }
  const std::string read_as =
      v.units.empty() ? "no units stated, read as " + unit : "stated in " + unit;
  const std::string values = "'" + name + "' (" + read_as + ") has values from " + number(s.min) +
                             " (" + format_step(first + Step(s.argmin), step) + ") to " +
                             number(s.max) + " (" + format_step(first + Step(s.argmax), step) +
                             "), mean " + number(s.mean);
  if (!best.empty())
    throw std::invalid_argument(values + ", which look like " + best_name +
                                ": state the unit in the input's units, e.g. units: {" + name +
                                ": " + best + "}");
  throw std::invalid_argument(values + ": not plausible in " + unit + " nor in another unit; " +
                              "list a missing-value marker in missing_values, or fix the unit" +
                              (m == Measure::discharge ? " or basin_area_km2" : ""));
}

}  // namespace tessera::hydrology
