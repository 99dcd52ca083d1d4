#include "tessera/hydrology/gr4j.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "gr4j_search.hpp"
#include "tessera/hydrology/metrics.hpp"

namespace tessera::hydrology {

namespace {

// S-curves of the two unit hydrographs: the share of a step's input gone by time t (steps);
// exponent d 2.5 for GR4J, 1.25 for GR4H.
double s_curve1(double t, double x4, double d) {
  return t <= 0 ? 0 : t < x4 ? std::pow(t / x4, d) : 1;
}
double s_curve2(double t, double x4, double d) {
  if (t <= 0) return 0;
  if (t <= x4) return 0.5 * std::pow(t / x4, d);
  if (t < 2 * x4) return 1 - 0.5 * std::pow(2 - t / x4, d);
  return 1;
}

// Ordinates: the share leaving on step k (k = 1..n).
std::vector<double> ordinates(double (*curve)(double, double, double), const Gr4jParams& p, int n) {
  const double d = p.hourly ? 1.25 : 2.5;
  std::vector<double> o(static_cast<size_t>(n));
  for (int k = 1; k <= n; ++k) o[size_t(k - 1)] = curve(k, p.x4, d) - curve(k - 1, p.x4, d);
  return o;
}

void check(const Gr4jParams& p) {
  if (!(p.x1 > 0) || !(p.x3 > 0) || !(p.x4 >= 0.5) || !std::isfinite(p.x2))
    throw std::invalid_argument("GR4J parameters out of range: x1 " + std::to_string(p.x1) +
                                ", x2 " + std::to_string(p.x2) + ", x3 " + std::to_string(p.x3) +
                                ", x4 " + std::to_string(p.x4) +
                                " (need x1 > 0, x3 > 0, x4 >= 0.5)");
}

}  // namespace

Gr4jState initial_gr4j_state(const Gr4jParams& p) {
  check(p);
  return {0.3 * p.x1, 0.5 * p.x3, std::vector<double>(size_t(std::ceil(p.x4)), 0.0),
          std::vector<double>(size_t(std::ceil(2 * p.x4)), 0.0)};
}

Gr4jRun run_gr4j(const Gr4jParams& p, const std::vector<double>& precip,
                 const std::vector<double>& pet, const Gr4jState* start) {
  check(p);
  if (precip.size() != pet.size())
    throw std::invalid_argument("GR4J: " + std::to_string(precip.size()) +
                                " days of precipitation and " + std::to_string(pet.size()) +
                                " of evaporation");
  const std::vector<double> o1 = ordinates(s_curve1, p, int(std::ceil(p.x4)));
  const std::vector<double> o2 = ordinates(s_curve2, p, int(std::ceil(2 * p.x4)));
  // Percolation leaves the production store by (S / (c x1))^4: c 9/4 daily, 21/4 hourly.
  const double percolation = p.hourly ? 21.0 / 4.0 : 9.0 / 4.0;
  Gr4jRun r{{}, {}, {}, start ? *start : initial_gr4j_state(p)};
  Gr4jState& st = r.end;
  if (st.uh1.size() != o1.size() || st.uh2.size() != o2.size())
    throw std::invalid_argument("GR4J: the start state's unit hydrographs do not match x4");
  r.discharge.reserve(precip.size());
  double& s = st.production;
  double& rs = st.routing;
  for (size_t t = 0; t < precip.size(); ++t) {
    const double P = precip[t], E = pet[t];
    if (!std::isfinite(P) || !std::isfinite(E) || P < 0 || E < 0)
      throw std::invalid_argument("GR4J: day " + std::to_string(t) +
                                  " has a missing or negative precipitation or evaporation");
    double pn = 0, ps = 0, es = 0, ae = 0;
    if (P >= E) {
      pn = P - E;
      const double tw = std::tanh(pn / p.x1);
      ps = p.x1 * (1 - (s / p.x1) * (s / p.x1)) * tw / (1 + (s / p.x1) * tw);
      ae = E;
    } else {
      const double en = E - P, tw = std::tanh(en / p.x1);
      es = s * (2 - s / p.x1) * tw / (1 + (1 - s / p.x1) * tw);
      ae = P + es;
    }
    s += ps - es;
    const double perc = s * (1 - std::pow(1 + std::pow(s / (percolation * p.x1), 4), -0.25));
    s -= perc;
    const double pr = perc + (pn - ps);
    // The unit hydrographs: today's input spread over the next days.
    for (size_t k = 0; k < o1.size(); ++k) st.uh1[k] += 0.9 * pr * o1[k];
    for (size_t k = 0; k < o2.size(); ++k) st.uh2[k] += 0.1 * pr * o2[k];
    const double q9 = st.uh1.front(), q1 = st.uh2.front();
    std::rotate(st.uh1.begin(), st.uh1.begin() + 1, st.uh1.end());
    std::rotate(st.uh2.begin(), st.uh2.begin() + 1, st.uh2.end());
    st.uh1.back() = 0, st.uh2.back() = 0;
    const double f = p.x2 * std::pow(rs / p.x3, 3.5);
    // The exchange reaches both flow paths; neither can go below zero, so what it really
    // moved is measured from the results.
    const double routed = std::max(0.0, rs + q9 + f);
    const double moved_routed = routed - (rs + q9);
    const double qr = routed * (1 - std::pow(1 + std::pow(routed / p.x3, 4), -0.25));
    rs = routed - qr;
    const double qd = std::max(0.0, q1 + f);
    r.discharge.push_back(qr + qd);
    r.actual_evaporation.push_back(ae);
    r.exchange.push_back(moved_routed + (qd - q1));
  }
  return r;
}

Calibration calibrate_gr4j(const std::vector<double>& precip, const std::vector<double>& pet,
                           const std::vector<double>& observed, const CalibrationOptions& o) {
  if (observed.size() != precip.size())
    throw std::invalid_argument("calibrate_gr4j: " + std::to_string(observed.size()) +
                                " observed days for " + std::to_string(precip.size()) + " forced");
  if (o.warmup < 0 || size_t(o.warmup) + 2 > observed.size())
    throw std::invalid_argument("calibrate_gr4j: the warm-up leaves fewer than 2 days to score");
  const std::vector<double> scored(observed.begin() + o.warmup, observed.end());
  auto score = [&](const std::vector<double>& x) {
    const Gr4jRun r = run_gr4j(gr4j_from_search(x, o.hourly), precip, pet);
    return nash_sutcliffe({r.discharge.begin() + o.warmup, r.discharge.end()}, scored);
  };
  Calibration c;
  const std::vector<double> best =
      dds_maximize(gr4j_search_box(o.hourly), o.evaluations, o.seed, score, &c.nse);
  c.params = gr4j_from_search(best, o.hourly);
  return c;
}

}  // namespace tessera::hydrology
