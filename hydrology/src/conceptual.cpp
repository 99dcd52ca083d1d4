#include "tessera/hydrology/conceptual.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "gr4j_search.hpp"
#include "tessera/hydrology/metrics.hpp"

namespace tessera::hydrology {
namespace {

void check_forcing(const ConceptualForcing& f) {
  const size_t n = f.precipitation.size();
  auto bad = [n](const std::vector<double>& v, bool optional) {
    return optional ? !v.empty() && v.size() != n : v.size() != n;
  };
  if (bad(f.evaporation, false) || bad(f.temperature, true) || bad(f.snowfall, true))
    throw std::invalid_argument("conceptual model: forcing series of different lengths");
  if (!f.snowfall.empty() && f.temperature.empty())
    throw std::invalid_argument("conceptual model: snowfall needs temperatures to melt");
  for (const auto* v : {&f.precipitation, &f.evaporation, &f.temperature, &f.snowfall})
    for (double x : *v)
      if (!std::isfinite(x))
        throw std::invalid_argument("conceptual model: forcing has missing values; fill them");
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
  return {initial_gr4j_state(m.gr4j), 0};
}

std::vector<double> run_conceptual_states(const ConceptualModel& m, const ConceptualForcing& f,
                                          const ConceptualState& start,
                                          std::vector<ConceptualState>& states) {
  check_forcing(f);
  const size_t n = f.precipitation.size();
  std::vector<double> q(n);
  states.assign(n, {});
  ConceptualState now = start;
  for (size_t t = 0; t < n; ++t) {
    const double water = f.temperature.empty()
                             ? f.precipitation[t]
                             : snow_step(now.snow_pack, f.precipitation[t], f.temperature[t],
                                         f.snowfall.empty() ? NAN : f.snowfall[t], m.snow);
    Gr4jRun day = run_gr4j(m.gr4j, {water}, {f.evaporation[t]}, &now.gr4j);
    q[t] = day.discharge[0];
    now.gr4j = std::move(day.end);
    states[t] = now;
  }
  return q;
}

std::vector<double> run_conceptual(const ConceptualModel& m, const ConceptualForcing& f) {
  check_forcing(f);
  return run_gr4j(m.gr4j, liquid_water(f, m.snow), f.evaporation).discharge;
}

ConceptualModel calibrate_conceptual(const ConceptualForcing& f,
                                     const std::vector<double>& observed,
                                     const CalibrationOptions& o) {
  check_forcing(f);
  if (f.temperature.empty()) {
    const Calibration c = calibrate_gr4j(f.precipitation, f.evaporation, observed, o);
    return {c.params, {}, c.nse};
  }
  if (observed.size() != f.precipitation.size() || o.warmup < 0 ||
      size_t(o.warmup) + 2 > observed.size())
    throw std::invalid_argument("conceptual model: " + std::to_string(observed.size()) +
                                " observed days for " + std::to_string(f.precipitation.size()) +
                                " forced, warm-up " + std::to_string(o.warmup));
  const std::vector<double> scored(observed.begin() + o.warmup, observed.end());
  auto score = [&](const std::vector<double>& x) {
    const Gr4jRun r = run_gr4j(gr4j_from_search(x), liquid_water(f, {x[4], x[5]}), f.evaporation);
    return nash_sutcliffe({r.discharge.begin() + o.warmup, r.discharge.end()}, scored);
  };
  ConceptualModel m;
  const std::vector<double> best = dds_maximize(gr4j_search_box({{0, -3}, {10, 3}, {3, 0}}),
                                                o.evaluations, o.seed, score, &m.nse);
  m.gr4j = gr4j_from_search(best);
  m.snow = {best[4], best[5]};
  return m;
}

}  // namespace tessera::hydrology
