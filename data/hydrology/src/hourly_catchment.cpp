#include "tessera/data/hourly_catchment.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "tessera/hydrology/units.hpp"

namespace tessera::data {

using hydrology::TimeSeries;
using hydrology::TimeStep;

namespace {

constexpr int64_t kHoursPerDay = 24;
constexpr int64_t kGaugeReadingsPerHour = 12;  // every 5 minutes

double season_of(hydrology::Day day) {
  return std::sin(2 * std::numbers::pi * (hydrology::day_of_year(day) - 110) / 365.25);
}

// Storms start now and then and last a few hours; summer storms are rarer and heavier.
std::vector<double> storm_rain(const HourlyCatchmentOptions& o, int64_t hours,
                               std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::exponential_distribution<double> amount(1.0);
  std::vector<double> rain(size_t(hours), 0.0);
  bool storm = false;
  for (int64_t h = 0; h < hours; ++h) {
    const double season = season_of(o.first + h / kHoursPerDay);
    storm = u(rng) < (storm ? 0.85 : 0.012 - 0.004 * season);
    if (storm) rain[size_t(h)] = (1.2 + 0.8 * season) * amount(rng);
  }
  return rain;
}

// Seasonal cycle, a daily cycle peaking mid-afternoon, and anomalies lasting days.
std::vector<double> hourly_temperature(const HourlyCatchmentOptions& o, int64_t hours,
                                       std::mt19937_64& rng) {
  std::normal_distribution<double> g(0, 1);
  std::vector<double> t(static_cast<size_t>(hours));
  double anomaly = 0;
  for (int64_t h = 0; h < hours; ++h) {
    if (h % kHoursPerDay == 0) anomaly = 0.8 * anomaly + 2.0 * g(rng);
    const double daily = std::sin(2 * std::numbers::pi * (double(h % kHoursPerDay) - 9) / 24);
    t[size_t(h)] = 11 + 9 * season_of(o.first + h / kHoursPerDay) + 4 * daily + anomaly;
  }
  return t;
}

std::vector<double> daily_evaporation(const HourlyCatchmentOptions& o, int64_t days,
                                      const std::vector<double>& temperature) {
  std::vector<double> pet(static_cast<size_t>(days));
  for (int64_t d = 0; d < days; ++d) {
    double mean = 0;
    for (int64_t h = 0; h < kHoursPerDay; ++h) mean += temperature[size_t(d * kHoursPerDay + h)];
    mean /= kHoursPerDay;
    pet[size_t(d)] = std::max(0.0, 0.5 + 0.12 * mean + 1.2 * (season_of(o.first + d) + 1) / 2);
  }
  return pet;
}

}  // namespace

HourlyCatchment make_hourly_catchment(const HourlyCatchmentOptions& o) {
  std::mt19937_64 rng(o.seed);
  const int64_t days = std::llround(365.25 * double(o.years));
  const int64_t hours = days * kHoursPerDay;
  const TimeStep hour{3600}, five_minutes{300};
  HourlyCatchment c;
  c.weather = {hydrology::first_step_of(o.first, hour), hours, {}, hour};
  c.weather.variables["rain"] = {storm_rain(o, hours, rng), "mm"};
  c.weather.variables["temperature"] = {hourly_temperature(o, hours, rng), "degC"};
  const std::vector<double> pet = daily_evaporation(o, days, c.weather.at("temperature"));
  c.evaporation = {o.first, days, {{"pet", {pet, "mm/day"}}}, hydrology::kDaily};
  // The truth runs on rates (mm/day) like every hydrology series: rain is mm per hour.
  hydrology::ConceptualForcing f{.step = hour};
  for (double r : c.weather.at("rain")) f.precipitation.push_back(r * kHoursPerDay);
  for (int64_t h = 0; h < hours; ++h) f.evaporation.push_back(pet[size_t(h / kHoursPerDay)]);
  const std::vector<double> q = hydrology::run_conceptual({o.truth, {}, 0}, f);
  const double to_m3s = 1 / hydrology::unit_conversion("m3/s", "mm/day", o.area_km2).scale;
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> gauge(size_t(hours * kGaugeReadingsPerHour));
  for (int64_t h = 0; h < hours; ++h) {
    const bool missing = u(rng) < o.missing;
    for (int64_t k = 0; k < kGaugeReadingsPerHour; ++k)
      gauge[size_t(h * kGaugeReadingsPerHour + k)] =
          missing ? std::numeric_limits<double>::quiet_NaN()
                  : q[size_t(h)] * std::exp(o.noise * g(rng)) * to_m3s;
  }
  c.gauge = {hydrology::first_step_of(o.first, five_minutes),
             int64_t(gauge.size()),
             {{"discharge", {gauge, "m3/s"}}},
             five_minutes};
  return c;
}

}  // namespace tessera::data
