#pragma once
// Potential evaporation from temperature alone, for basins whose forcing has none (CAMELS'
// Daymet forcing, for one): Oudin et al. (2005), the formula GR4J is usually run with.
#include <vector>

#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {

// Extraterrestrial radiation, MJ m-2 day-1 (FAO-56, eq. 21), at a latitude in degrees.
double extraterrestrial_radiation(double latitude_deg, int day_of_year);

// PE = Re / (lambda rho) * (T + 5) / 100 mm/day where T > -5 degC, else 0. temperature: mean
// of each step in degC from step `first`; NaN stays NaN. Sub-daily steps get the rate of their
// day's radiation at their own temperature.
std::vector<double> oudin_pet(const std::vector<double>& temperature, Step first,
                              double latitude_deg, TimeStep step = kDaily);

}  // namespace tessera::hydrology
