#include "tessera/hydrology/conceptual.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "gr4j_search.hpp"
#include "tessera/hydrology/metrics.hpp"

namespace tessera::hydrology {
namespace {

void check_forcing(const ConceptualForcing& f) {
  if (!f.step.daily() && f.step.seconds != 3600)
    throw std::invalid_argument(
        "conceptual model: GR4J runs on daily steps and GR4H on hourly "
        "ones, not on steps of " +
        format_time_step(f.step));
  if (!f.step.daily() && !f.temperature.empty())
    throw std::invalid_argument(
        "conceptual model: the snow routines run on daily steps, not hourly ones");
  const size_t n = f.precipitation.size();
  auto bad = [n](const std::vector<double>& v, bool optional) {
    return optional ? !v.empty() && v.size() != n : v.size() != n;
  };
  if (bad(f.evaporation, false) || bad(f.temperature, true) || bad(f.snowfall, true) ||
      bad(f.temperature_min, true) || bad(f.temperature_max, true))
    throw std::invalid_argument("conceptual model: forcing series of different lengths");
  if (!f.snowfall.empty() && f.temperature.empty())
    throw std::invalid_argument("conceptual model: snowfall needs temperatures to melt");
  if (f.temperature_min.empty() != f.temperature_max.empty() ||
      (!f.temperature_min.empty() && f.temperature.empty()))
    throw std::invalid_argument(
        "conceptual model: give the minimum and maximum temperatures together, with the mean");
  for (const auto* v : {&f.precipitation, &f.evaporation, &f.temperature, &f.snowfall,
                        &f.temperature_min, &f.temperature_max})
    for (double x : *v)
      if (!std::isfinite(x))
        throw std::invalid_argument("conceptual model: forcing has missing values; fill them");
}

std::vector<double> scaled(std::vector<double> v, double by) {
  for (double& x : v) x *= by;
  return v;
}

void check_form(const ConceptualModel& m, const ConceptualForcing& f) {
  if (m.gr4j.hourly == f.step.daily())
    throw std::invalid_argument(std::string("conceptual model: a ") +
                                (m.gr4j.hourly ? "GR4H (hourly)" : "GR4J (daily)") +
                                " model run on steps of " + format_time_step(f.step));
}

bool uses_cemaneige(const ConceptualModel& m, const ConceptualForcing& f) {
  return m.snow_routine == SnowRoutine::cemaneige && !f.temperature.empty();
}

// CemaNeige's forcing on each band, [day][band]: it does not depend on the parameters, so a
// calibration computes it once.
using BandSeries = std::vector<std::vector<BandWeather>>;

BandSeries cemaneige_weather(const ConceptualForcing& f, const ElevationBands& e) {
  auto at = [](const std::vector<double>& v, size_t t) { return v.empty() ? NAN : v[t]; };
  BandSeries out(f.precipitation.size());
  for (size_t t = 0; t < out.size(); ++t)
    out[t] = band_weather({.date = f.first + Step(t),
                           .precipitation = f.precipitation[t],
                           .temperature = f.temperature[t],
                           .temperature_min = at(f.temperature_min, t),
                           .temperature_max = at(f.temperature_max, t),
                           .snowfall = at(f.snowfall, t)},
                          e);
  return out;
}

// Gthreshold of the model's CemaNeige, its parameters checked.
double cemaneige_threshold(const CemaNeigeModel& c) {
  check_cemaneige(c.params);
  if (!(c.mean_annual_solid_precipitation >= 0))
    throw std::invalid_argument(
        "CemaNeige: the mean annual solid precipitation is not set (calibrate_conceptual sets "
        "it from the calibration forcing)");
  return melt_threshold(c.params, c.mean_annual_solid_precipitation);
}

// Rain and melt over the whole series from snow-free bands.
std::vector<double> cemaneige_water(const BandSeries& weather, const CemaNeigeParams& p,
                                    double threshold) {
  std::vector<CemaNeigeBand> bands =
      initial_cemaneige_bands(weather.empty() ? 1 : weather[0].size(), threshold);
  std::vector<double> out(weather.size());
  for (size_t t = 0; t < out.size(); ++t) out[t] = cemaneige_day(bands, weather[t], p, threshold);
  return out;
}

// The water reaching GR4J each day from the model's initial state.
std::vector<double> model_water(const ConceptualModel& m, const ConceptualForcing& f) {
  if (!uses_cemaneige(m, f)) return liquid_water(f, m.snow);
  const double threshold = cemaneige_threshold(m.cemaneige);
  return cemaneige_water(cemaneige_weather(f, m.cemaneige.elevation), m.cemaneige.params,
                         threshold);
}

using WaterScore = std::function<double(const Gr4jParams&, const std::vector<double>&)>;

ConceptualModel calibrate_degree_day(const ConceptualForcing& f, const CalibrationOptions& o,
                                     const WaterScore& score) {
  ConceptualModel m;
  const std::vector<double> best = dds_maximize(
      gr4j_search_box(false, {{0, -3}, {10, 3}, {3, 0}}), o.evaluations, o.seed,
      [&](const std::vector<double>& x) {
        return score(gr4j_from_search(x), liquid_water(f, {x[4], x[5]}));
      },
      &m.nse);
  m.gr4j = gr4j_from_search(best);
  m.snow = {best[4], best[5]};
  return m;
}

// CTG and Kf (then Gacc and the threshold share) after GR4J's four.
CemaNeigeParams cemaneige_from_search(const std::vector<double>& x, bool hysteresis) {
  CemaNeigeParams p{.ctg = x[4], .kf = x[5], .hysteresis = hysteresis};
  if (hysteresis) p.accumulation = x[6], p.threshold_share = x[7];
  return p;
}

ConceptualModel calibrate_cemaneige(const ConceptualForcing& f, const CalibrationOptions& o,
                                    const SnowChoice& snow, const WaterScore& score) {
  ConceptualModel m;
  m.snow_routine = SnowRoutine::cemaneige;
  m.cemaneige.elevation = snow.elevation;
  const BandSeries weather = cemaneige_weather(f, snow.elevation);
  m.cemaneige.mean_annual_solid_precipitation = mean_annual_solid_precipitation(weather);
  const double solid = m.cemaneige.mean_annual_solid_precipitation;
  SearchBox extra{{0, 0}, {1, 10}, {0.5, 3}};
  if (snow.hysteresis) extra = {{0, 0, 0.05, 0}, {1, 10, 100, 1}, {0.5, 3, 50, 0.9}};
  const std::vector<double> best = dds_maximize(
      gr4j_search_box(false, extra), o.evaluations, o.seed,
      [&](const std::vector<double>& x) {
        const CemaNeigeParams p = cemaneige_from_search(x, snow.hysteresis);
        return score(gr4j_from_search(x), cemaneige_water(weather, p, melt_threshold(p, solid)));
      },
      &m.nse);
  m.gr4j = gr4j_from_search(best);
  m.cemaneige.params = cemaneige_from_search(best, snow.hysteresis);
  return m;
}

}  // namespace

double snow_step(double& pack, double precipitation, double temperature, double snowfall,
                 const SnowParams& params) {
  const double p = precipitation;
  const double snow = std::isnan(snowfall) ? (temperature < params.threshold ? p : 0)
                                           : std::clamp(snowfall, 0.0, p);
  pack += snow;
  const double melt =
      std::min(pack, params.melt_factor * std::max(temperature - params.threshold, 0.0));
  pack -= melt;
  return p - snow + melt;
}

std::vector<double> liquid_water(const ConceptualForcing& f, const SnowParams& snow) {
  if (f.temperature.empty()) return f.precipitation;
  std::vector<double> out(f.precipitation.size());
  double pack = 0;
  for (size_t t = 0; t < out.size(); ++t)
    out[t] = snow_step(pack, f.precipitation[t], f.temperature[t],
                       f.snowfall.empty() ? NAN : f.snowfall[t], snow);
  return out;
}

ConceptualState initial_conceptual_state(const ConceptualModel& m) {
  ConceptualState s{initial_gr4j_state(m.gr4j), 0};
  if (m.snow_routine == SnowRoutine::cemaneige)
    s.bands =
        initial_cemaneige_bands(m.cemaneige.elevation.bands(), cemaneige_threshold(m.cemaneige));
  return s;
}

std::vector<double> run_conceptual_states(const ConceptualModel& m, const ConceptualForcing& f,
                                          const ConceptualState& start,
                                          std::vector<ConceptualState>& states) {
  check_forcing(f);
  check_form(m, f);
  // GR4J reads and writes depths per step; the forcing and the output are rates in mm/day.
  const double to_depth = f.step.days();
  const bool cemaneige = uses_cemaneige(m, f);
  const double threshold = cemaneige ? cemaneige_threshold(m.cemaneige) : 0;
  const BandSeries weather = cemaneige ? cemaneige_weather(f, m.cemaneige.elevation) : BandSeries{};
  if (cemaneige && start.bands.size() != m.cemaneige.elevation.bands())
    throw std::invalid_argument("conceptual model: the start state has " +
                                std::to_string(start.bands.size()) + " snow bands, the model " +
                                std::to_string(m.cemaneige.elevation.bands()));
  const size_t n = f.precipitation.size();
  std::vector<double> q(n);
  states.assign(n, {});
  ConceptualState now = start;
  for (size_t t = 0; t < n; ++t) {
    double water = f.precipitation[t];
    if (cemaneige)
      water = cemaneige_day(now.bands, weather[t], m.cemaneige.params, threshold);
    else if (!f.temperature.empty())
      water = snow_step(now.snow_pack, f.precipitation[t], f.temperature[t],
                        f.snowfall.empty() ? NAN : f.snowfall[t], m.snow);
    Gr4jRun day = run_gr4j(m.gr4j, {water * to_depth}, {f.evaporation[t] * to_depth}, &now.gr4j);
    q[t] = day.discharge[0] / to_depth;
    now.gr4j = std::move(day.end);
    states[t] = now;
  }
  return q;
}

std::vector<double> run_conceptual(const ConceptualModel& m, const ConceptualForcing& f) {
  check_forcing(f);
  check_form(m, f);
  const double to_depth = f.step.days();
  return scaled(
      run_gr4j(m.gr4j, scaled(model_water(m, f), to_depth), scaled(f.evaporation, to_depth))
          .discharge,
      1 / to_depth);
}

ConceptualModel calibrate_conceptual(const ConceptualForcing& f,
                                     const std::vector<double>& observed,
                                     const CalibrationOptions& o, const SnowChoice& snow) {
  check_forcing(f);
  if (f.temperature.empty()) {
    // GR4J's depths per step, the observations in the same unit.
    const double to_depth = f.step.days();
    CalibrationOptions hourly = o;
    hourly.hourly = !f.step.daily();
    const Calibration c =
        calibrate_gr4j(scaled(f.precipitation, to_depth), scaled(f.evaporation, to_depth),
                       scaled(observed, to_depth), hourly);
    return {c.params, {}, c.nse};
  }
  if (observed.size() != f.precipitation.size() || o.warmup < 0 ||
      size_t(o.warmup) + 2 > observed.size())
    throw std::invalid_argument("conceptual model: " + std::to_string(observed.size()) +
                                " observed days for " + std::to_string(f.precipitation.size()) +
                                " forced, warm-up " + std::to_string(o.warmup));
  const std::vector<double> scored(observed.begin() + o.warmup, observed.end());
  const WaterScore score = [&](const Gr4jParams& p, const std::vector<double>& water) {
    const Gr4jRun r = run_gr4j(p, water, f.evaporation);
    return nash_sutcliffe({r.discharge.begin() + o.warmup, r.discharge.end()}, scored);
  };
  return snow.routine == SnowRoutine::cemaneige ? calibrate_cemaneige(f, o, snow, score)
                                                : calibrate_degree_day(f, o, score);
}

std::string describe_snow(const ConceptualModel& m) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(2);
  if (m.snow_routine == SnowRoutine::degree_day) {
    out << "degree-day melt " << m.snow.melt_factor << " mm/degC/day above " << m.snow.threshold
        << " degC";
    return out.str();
  }
  const CemaNeigeParams& p = m.cemaneige.params;
  const size_t bands = m.cemaneige.elevation.bands();
  out << "CemaNeige on " << bands << (bands == 1 ? " band" : " bands") << " (CTG " << p.ctg
      << ", Kf " << p.kf << " mm/degC/day";
  if (p.hysteresis)
    out << ", Gacc " << p.accumulation << " mm, threshold share " << p.threshold_share;
  out << ")";
  return out.str();
}

}  // namespace tessera::hydrology
