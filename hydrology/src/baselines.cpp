#include "tessera/hydrology/baselines.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tessera/hydrology/climatology.hpp"
#include "tessera/hydrology/pet.hpp"
#include "tessera/hydrology/units.hpp"

namespace tessera::hydrology {
namespace {

// The variable in `units`, converted when it states other units it can be converted from.
std::vector<double> in_units(const TimeSeries& s, const std::string& name,
                             const std::string& units) {
  Variable v = s.variable(name);
  try {
    if (!v.units.empty()) convert_units(v, units);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("gr4j input '" + name + "': " + e.what());
  }
  return v.values;
}

// Sum (or mean) of the named variables, day by day, each with its gaps filled from its
// training-period day-of-year climatology.
std::vector<double> combined(const HydrologyConfig& c, const TimeSeries& s,
                             const std::vector<std::string>& names, const std::string& units,
                             bool mean) {
  std::vector<double> out(size_t(s.length), 0.0);
  for (const std::string& name : names) {
    const std::vector<double> raw = in_units(s, name, units);
    const std::vector<double> v = fill_gaps(
        raw, s.first, day_of_year_climatology(raw, s.first, c.train.first, c.train.last, s.step),
        nullptr, s.step);
    for (size_t i = 0; i < out.size(); ++i) out[i] += v[i];
  }
  if (mean)
    for (double& x : out) x /= double(names.size());
  return out;
}

}  // namespace

bool has_gr4j_inputs(const HydrologyConfig& c) {
  return !c.gr4j.precipitation.empty() && !c.gr4j.evaporation.empty();
}

ConceptualForcing conceptual_forcing(const HydrologyConfig& c, const TimeSeries& s) {
  if (!has_gr4j_inputs(c))
    throw std::runtime_error(c.path + ": gr4j needs precipitation and evaporation");
  ConceptualForcing f{.first = s.first, .step = s.step};
  f.precipitation = combined(c, s, c.gr4j.precipitation, "mm/day", false);
  const std::vector<double> temperature = c.gr4j.temperature.empty()
                                              ? std::vector<double>{}
                                              : combined(c, s, c.gr4j.temperature, "degC", true);
  // Sub-daily steps have no snow routine: their temperatures serve only Oudin's evaporation.
  if (s.step.daily()) f.temperature = temperature;
  f.evaporation = c.gr4j.evaporation == "oudin"
                      ? oudin_pet(temperature, s.first, c.gr4j.latitude, s.step)
                      : combined(c, s, {c.gr4j.evaporation}, "mm/day", false);
  if (!c.gr4j.snowfall.empty()) f.snowfall = combined(c, s, {c.gr4j.snowfall}, "mm/day", false);
  for (double& p : f.precipitation) p = std::max(p, 0.0);
  for (double& e : f.evaporation) e = std::max(e, 0.0);
  return f;
}

ConceptualModel calibrate_baseline(const HydrologyConfig& c, const TimeSeries& s, int evaluations) {
  ConceptualForcing f = conceptual_forcing(c, s);
  const size_t end = size_t(c.train.last - s.first + 1);
  auto head = [end](std::vector<double>& v) {
    if (!v.empty()) v.resize(end);
  };
  head(f.precipitation), head(f.evaporation), head(f.temperature), head(f.snowfall);
  std::vector<double> observed = s.at(c.discharge);
  observed.resize(end);
  const int64_t warmup = std::max<int64_t>(steps_in_days(365, s.step), c.train.first - s.first);
  const int64_t scored = std::count_if(observed.begin() + std::min<int64_t>(warmup, int64_t(end)),
                                       observed.end(), [](double q) { return !std::isnan(q); });
  if (scored < 30)
    throw std::runtime_error(c.path + ": GR4J is calibrated on the training steps after a year " +
                             "of warm-up, and only " + std::to_string(scored) +
                             " of them have observed discharge (it needs 30)");
  return calibrate_conceptual(f, observed, {.warmup = warmup, .evaluations = evaluations},
                              c.gr4j.snow);
}

std::vector<double> baseline_discharge(const ConceptualModel& m, const HydrologyConfig& c,
                                       const TimeSeries& s) {
  return run_conceptual(m, conceptual_forcing(c, s));
}

namespace {

// The forecast of `names` issued on `issue` for `lead` in `units` (summed, or averaged), NaN
// when any of them is not forecast.
double forecast_of(const WeatherForecasts& w, const TimeSeries& s,
                   const std::vector<std::string>& names, const std::string& units, Step issue,
                   int64_t lead, bool mean) {
  double total = 0;
  for (const std::string& name : names) {
    if (!w.has(name)) return NAN;
    const std::string& from = s.variable(name).units;
    const UnitConversion u = from.empty() ? UnitConversion{} : unit_conversion(from, units);
    total += w.at(name, issue, lead) * u.scale + u.offset;
  }
  return names.empty() ? NAN : mean ? total / double(names.size()) : total;
}

}  // namespace

std::vector<double> baseline_forecasts(const ConceptualModel& m, const HydrologyConfig& c,
                                       const TimeSeries& s, const std::vector<Step>& issues,
                                       const WeatherForecasts& forecasts) {
  const ConceptualForcing f = conceptual_forcing(c, s);
  std::vector<ConceptualState> states;
  run_conceptual_states(m, f, initial_conceptual_state(m), states);
  auto climatology = [&](const std::vector<double>& v) {
    return v.empty() ? std::array<double, 367>{}
                     : day_of_year_climatology(v, s.first, c.train.first, c.train.last, s.step);
  };
  const auto temperature = climatology(f.temperature), evaporation = climatology(f.evaporation);
  const int64_t longest = c.lead_times.back();  // sorted
  std::vector<double> out;
  for (Step t : issues) {
    const int64_t i = t - s.first;
    if (i < 0 || i >= s.length) {
      out.insert(out.end(), c.lead_times.size(), NAN);
      continue;
    }
    ConceptualForcing ahead;  // as forecast on the issue day, else dry and climatological
    ahead.first = t + 1;
    ahead.step = s.step;
    const bool snowfall = !c.gr4j.snowfall.empty() && forecasts.has(c.gr4j.snowfall);
    for (Step d = t + 1; d <= t + longest; ++d) {
      const size_t doy = size_t(day_of_year(day_of_step(d, s.step)));
      const int64_t lead = d - t;
      auto or_else = [](double x, double fallback) { return std::isnan(x) ? fallback : x; };
      const double rain = forecast_of(forecasts, s, c.gr4j.precipitation, "mm/day", t, lead, false);
      ahead.precipitation.push_back(std::max(or_else(rain, 0), 0.0));
      const double pet =
          c.gr4j.evaporation == "oudin"
              ? NAN
              : forecast_of(forecasts, s, {c.gr4j.evaporation}, "mm/day", t, lead, false);
      ahead.evaporation.push_back(
          std::max(or_else(pet, std::isnan(evaporation[doy]) ? 0 : evaporation[doy]), 0.0));
      if (!f.temperature.empty()) {
        const double temp = forecast_of(forecasts, s, c.gr4j.temperature, "degC", t, lead, true);
        ahead.temperature.push_back(
            or_else(temp, std::isnan(temperature[doy]) ? 0 : temperature[doy]));
      }
      if (snowfall) {
        const double snow = forecast_of(forecasts, s, {c.gr4j.snowfall}, "mm/day", t, lead, false);
        ahead.snowfall.push_back(std::clamp(or_else(snow, 0), 0.0, ahead.precipitation.back()));
      }
    }
    std::vector<ConceptualState> unused;
    const std::vector<double> q = run_conceptual_states(m, ahead, states[size_t(i)], unused);
    for (int64_t l : c.lead_times) out.push_back(q[size_t(l - 1)]);
  }
  return out;
}

std::array<double, 367> discharge_climatology(const HydrologyConfig& c, const TimeSeries& s) {
  const std::vector<double>& q = s.at(c.discharge);
  std::array<double, 367> clim =
      day_of_year_climatology(q, s.first, c.train.first, c.train.last, s.step);
  double sum = 0, n = 0;
  for (Step d = c.train.first; d <= c.train.last; ++d) {
    const double v = value_on(q, s.first, d);
    if (!std::isnan(v)) sum += v, n += 1;
  }
  for (double& x : clim)
    if (std::isnan(x)) x = n > 0 ? sum / n : NAN;
  return clim;
}

}  // namespace tessera::hydrology
