#include "tessera/hydrology/units.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

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

}  // namespace tessera::hydrology
