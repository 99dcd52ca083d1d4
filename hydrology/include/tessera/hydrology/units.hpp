#pragma once
// Unit conversion of series to the units the models work in: mm/day for fluxes (precipitation,
// evaporation, discharge over the basin) and degrees Celsius for temperatures.
#include <string>

#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {

// Factor and offset taking `from` to `to` (value_to = value_from * scale + offset). Known:
// discharge "m3/s" (also "m**3 s**-1", "m3 s-1", "cms"), "ft3/s" ("cfs", "ft**3 s**-1") and
// "l/s" to "mm/day" (needs basin_area_km2 > 0); fluxes "mm/day" ("mm d-1", "mm d**-1",
// "mm/d"), "kg m-2 s-1", "mm/h", "m/day" to "mm/day"; "K" / "degC" / "C" / "degF" to "degC".
// Equal units give (1, 0). Throws std::invalid_argument naming both units when unknown or
// when the area is needed and missing.
struct UnitConversion {
  double scale = 1, offset = 0;
};
UnitConversion unit_conversion(const std::string& from, const std::string& to,
                               double basin_area_km2 = 0);

// Converts the variable in place (NaN stays NaN) and records the new units.
void convert_units(Variable& v, const std::string& to, double basin_area_km2 = 0);

}  // namespace tessera::hydrology
