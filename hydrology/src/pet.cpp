#include "tessera/hydrology/pet.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tessera::hydrology {

double extraterrestrial_radiation(double latitude_deg, int day_of_year) {
  const double pi = std::numbers::pi;
  const double phi = latitude_deg * pi / 180;
  const double j = 2 * pi * day_of_year / 365;
  const double dr = 1 + 0.033 * std::cos(j);        // inverse relative Earth-Sun distance
  const double delta = 0.409 * std::sin(j - 1.39);  // solar declination
  const double ws = std::acos(std::clamp(-std::tan(phi) * std::tan(delta), -1.0, 1.0));
  const double gsc = 0.0820;  // solar constant, MJ m-2 min-1
  return 24 * 60 / pi * gsc * dr *
         (ws * std::sin(phi) * std::sin(delta) + std::cos(phi) * std::cos(delta) * std::sin(ws));
}

std::vector<double> oudin_pet(const std::vector<double>& temperature, Step first,
                              double latitude_deg, TimeStep step) {
  std::vector<double> pet(temperature.size());
  for (size_t i = 0; i < pet.size(); ++i) {
    const double t = temperature[i];
    const double re =
        extraterrestrial_radiation(latitude_deg, day_of_year(day_of_step(first + Step(i), step)));
    // Re / (lambda rho): lambda 2.45 MJ/kg, rho 1000 kg/m3, in mm/day.
    pet[i] = std::isnan(t) ? t : t > -5 ? re / 2.45 * (t + 5) / 100 : 0;
  }
  return pet;
}

}  // namespace tessera::hydrology
