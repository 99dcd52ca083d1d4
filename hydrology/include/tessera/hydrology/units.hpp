#pragma once
// Unit conversion of series to the units the models work in: mm/day for fluxes (precipitation,
// evaporation, discharge over the basin) and degrees Celsius for temperatures.
#include <string>

#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {

// Factor and offset taking `from` to `to` (value_to = value_from * scale + offset). Known:
// discharge "m3/s" (also "m**3 s**-1", "m3 s-1", "cms"), "ft3/s" ("cfs", "ft**3 s**-1") and
// "l/s" to "mm/day" (needs basin_area_km2 > 0); fluxes "mm/day" ("mm d-1", "mm d**-1",
// "mm/d"), "kg m-2 s-1", "mm/h", "m/day" to "mm/day", and depths per day of a daily series ("mm",
// "m"); "K" / "degC" / "C" / "degF" to "degC". Equal units give (1, 0). Throws
// std::invalid_argument naming both units when unknown or when the area is needed and missing.
struct UnitConversion {
  double scale = 1, offset = 0;
};
UnitConversion unit_conversion(const std::string& from, const std::string& to,
                               double basin_area_km2 = 0);

// Converts the variable in place (NaN stays NaN) and records the new units.
void convert_units(Variable& v, const std::string& to, double basin_area_km2 = 0);

// A variable in a depth per record ("mm", "m", any case) of a step shorter than a day becomes
// the rate it is (mm/day), as fluxes are at every step; a daily depth already reads as one.
// Other units are left as they are.
void depths_to_rates(Variable& v, TimeStep step);

// What a series measures, for checking that its values fit the unit they are read in.
enum class Measure { precipitation, evaporation, temperature, discharge };

// What the checks compare with: discharge becomes a depth over the basin (area), and its mean
// must be a plausible share of the basin's mean precipitation (mm/day) when that is known.
struct PlausibilityContext {
  double basin_area_km2 = 0;
  double precipitation_mean = 0;  // mm/day; 0: unknown
};

// Throws std::invalid_argument "'<name>' ..." when the values of `v` (step 0 = `first`) cannot be
// the measure in its units (`v.units`, or `assumed` when it states none): temperatures outside
// -90..60 degC, precipitation or evaporation beyond any recorded rate or with a yearly mean no
// climate has, discharge running off more than falls. The message names the unit the values look
// like (kelvin, m/day, l/s, ...) when one fits, else the extreme value and its day (a missing-value
// marker), and says how to state the unit.
void require_plausible(const Variable& v, Step first, TimeStep step, Measure m,
                       const std::string& name, const std::string& assumed,
                       const PlausibilityContext& context = {});

}  // namespace tessera::hydrology
