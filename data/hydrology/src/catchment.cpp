#include "tessera/data/catchment.hpp"

#include "tessera/hydrology/units.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

namespace tessera::data {

using hydrology::Day;
using hydrology::TimeSeries;

namespace {

struct Weather {
  std::vector<double> rain, snow, tmin, tmax, pet;
};

Weather make_weather(const CatchmentOptions& o, int64_t days, std::mt19937_64& rng) {
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::exponential_distribution<double> amount(1 / 6.0);  // mean 6 mm on a wet day
  Weather w;
  double anomaly = 0;
  bool wet = false;
  for (int64_t i = 0; i < days; ++i) {
    const double season =
        std::sin(2 * std::numbers::pi * (hydrology::day_of_year(o.first + i) - 110) / 365.25);
    anomaly = 0.8 * anomaly + 2.0 * g(rng);  // weather systems last a few days
    const double mean = 4 + 13 * season + anomaly;
    const double range = 8 + 3 * season + std::abs(g(rng));
    wet = u(rng) < (wet ? 0.65 : 0.28);
    const double p = wet ? amount(rng) : 0;
    const bool snow = mean < 0;
    w.rain.push_back(snow ? 0 : p);
    w.snow.push_back(snow ? p : 0);
    w.tmin.push_back(mean - range / 2);
    w.tmax.push_back(mean + range / 2);
    w.pet.push_back(std::max(0.0, 0.4 + 0.12 * mean + 1.2 * (season + 1) / 2));
  }
  return w;
}

}  // namespace

TimeSeries make_catchment(const CatchmentOptions& o) {
  std::mt19937_64 rng(o.seed);
  const int64_t days = std::llround(365.25 * double(o.years));
  Weather w = make_weather(o, days, rng);
  hydrology::ConceptualForcing f;
  for (int64_t i = 0; i < days; ++i) {
    f.precipitation.push_back(w.rain[size_t(i)] + w.snow[size_t(i)]);
    f.temperature.push_back((w.tmin[size_t(i)] + w.tmax[size_t(i)]) / 2);
    f.snowfall.push_back(w.snow[size_t(i)]);
  }
  f.evaporation = w.pet;
  const std::vector<double> q = hydrology::run_conceptual(o.truth, f);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> discharge(q.size());
  const double to_m3s = 1 / hydrology::unit_conversion("m3/s", "mm/day", o.area_km2).scale;
  for (size_t i = 0; i < q.size(); ++i)
    discharge[i] = u(rng) < o.missing ? std::numeric_limits<double>::quiet_NaN()
                                      : q[i] * std::exp(o.noise * g(rng)) * to_m3s;
  TimeSeries s;
  s.first = o.first;
  s.length = days;
  s.variables["rain"] = {w.rain, "mm/day"};
  s.variables["snow"] = {w.snow, "mm/day"};
  s.variables["tmin"] = {w.tmin, "degC"};
  s.variables["tmax"] = {w.tmax, "degC"};
  s.variables["pet"] = {w.pet, "mm/day"};
  s.variables["discharge"] = {discharge, "m3/s"};
  return s;
}

}  // namespace tessera::data
