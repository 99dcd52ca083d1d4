#pragma once
// Scores of probabilistic discharge forecasts: the CRPS of a forecast given as quantiles or as an
// ensemble, the coverage of a band, the Brier score of exceeding a threshold and the reliability
// diagram of quantile forecasts.
//
//   const std::vector<double> levels = {0.1, 0.5, 0.9};
//   // values [case][level]: two days, each with its three quantiles
//   const std::vector<double> values = {1, 2, 4, 2, 3, 5}, obs = {2.5, NAN};
//   mean_crps(levels, values, obs);                     // the first day alone (obs NaN: skipped)
//   exceedance_probability(levels, &values[0], 3.0);    // P(Q > 3) on the first day: 0.3
//   write_line_plot("reliability.png", reliability_plot({{"lead 1", reliability(levels,
//                                                         values, obs)}}, "test period"));
//
// The distribution a set of quantiles describes. Levels tau_1 < ... < tau_K lie in (0, 1) and
// their quantiles q_1 <= ... <= q_K do not decrease (sort them when a model's quantiles cross).
// Its CDF F is piecewise linear between the points (q_k, tau_k) and holds the mass outside the
// levels at the ends: F = 0 below q_1, jumps to tau_1 at q_1, rises linearly to tau_K at q_K and
// jumps to 1 there (mass tau_1 at q_1, 1 - tau_K at q_K). Nothing is extrapolated beyond the
// outermost quantiles, so the tails are as narrow as the quantiles allow: with levels 0.05..0.95
// the distribution is never wider than the 90% band. Its quantile function is the linear
// interpolation of the (tau_k, q_k), held at q_1 below tau_1 and at q_K above tau_K. One level
// alone is a point mass at its quantile (the CRPS is then the absolute error).
// As a stand-in for a smooth forecast distribution the quantiles lose little: for a normal
// forecast, levels k / 8 (7 levels) give a CRPS within 2-7% of the normal's exact one, 99
// levels within 0.2%; the score is exact for the distribution as issued, as the ensemble CRPS
// is for the members' empirical one, so the two compare fairly.
//
// Missing values: a case whose observation or any of whose forecast values is NaN is left out
// of every mean score; a mean over no case is NaN, so the other scores of a report still stand.
// Inputs that cannot be right (levels not increasing or outside (0, 1), quantiles that decrease,
// lengths that do not match, probabilities outside [0, 1]) throw std::invalid_argument.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tessera/formats/line_plot.hpp"

namespace tessera::hydrology {

// F(x) of the quantile distribution above: levels [K], q [K] -> probability in [0, 1].
// Right-continuous: F(q_K) = 1.
double quantile_cdf(const std::vector<double>& levels, const double* q, double x);

// Its quantile function Q(tau) for tau in (0, 1), e.g. the ends of a central band.
double quantile_at(const std::vector<double>& levels, const double* q, double tau);

// P(Q > threshold) = 1 - quantile_cdf(threshold): the probability of exceeding a discharge.
double exceedance_probability(const std::vector<double>& levels, const double* q, double threshold);

// Continuous ranked probability score of the quantile distribution against one observation y
// (Matheson and Winkler 1976; Gneiting and Raftery 2007, eq. 20):
//   CRPS(F, y) = integral over x of (F(x) - 1[x >= y])^2 dx
//              = 2 * integral over tau in (0, 1) of rho_tau(y - Q(tau)) dtau,
// rho_tau(u) = u (tau - 1[u < 0]) the pinball loss (Laio and Tamea 2007). Computed exactly:
// between consecutive breakpoints (the quantiles and y) F is linear and the indicator constant,
// so the integrand is a quadratic that the two-point Gauss-Legendre rule integrates without
// error, using the same quantile_cdf as exceedance_probability. Units of the discharge; 0 is
// perfect. NaN when y or a quantile is NaN.
double crps_from_quantiles(const std::vector<double>& levels, const double* q, double obs);

// Mean CRPS over cases: values [case][level] (obs.size() * levels.size()), obs [case].
double mean_crps(const std::vector<double>& levels, const std::vector<double>& values,
                 const std::vector<double>& obs);

// Exact CRPS of the ensemble's empirical distribution (Hersbach 2000; Gneiting and Raftery 2007,
// eq. 21): mean_i |x_i - y| - 1 / (2 m^2) sum_i sum_j |x_i - x_j|, in O(m log m) through the
// sorted members (sum_i sum_j |x_i - x_j| = 2 sum_i (2i - m + 1) x_(i), i from 0). Not the "fair"
// variant with m (m - 1): this is the score of the distribution the members draw, as the
// quantile CRPS is of theirs. NaN when y or a member is NaN; m >= 1.
double crps_ensemble(const double* members, int64_t m, double obs);

// Mean ensemble CRPS: members [case][member] (obs.size() * m), obs [case].
double mean_crps_ensemble(const std::vector<double>& members, int64_t m,
                          const std::vector<double>& obs);

// Share of the cases whose observation lies in [low, high] (a band's coverage: 0.8 promised for
// the 10-90% band). low, high, obs [case]; throws where low > high.
double band_coverage(const std::vector<double>& low, const std::vector<double>& high,
                     const std::vector<double>& obs);

// The central band holding `share` of the distribution (0.8: from Q(0.1) to Q(0.9)) per case,
// through quantile_at: values [case][level] -> low [case], high [case].
struct Band {
  std::vector<double> low{}, high{};
};
Band central_band(const std::vector<double>& levels, const std::vector<double>& values,
                  double share);

// Brier score of exceeding `threshold` (Brier 1950): mean over cases of
// (p - 1[obs > threshold])^2, 0 perfect, 0.25 for always saying 0.5. probability, obs [case].
double brier_score(const std::vector<double>& probability, const std::vector<double>& obs,
                   double threshold);

// Reliability of quantile forecasts (the PIT-style diagram): for each level tau, the observed
// share of cases with obs <= q_tau. A calibrated forecast lies on the diagonal (observed ==
// nominal); below it the quantiles are too low, above it too high; a flat curve is
// overconfident. observed[k] is NaN when no case is scored.
struct Reliability {
  std::vector<double> nominal{}, observed{};  // [level]
  int64_t cases = 0;                          // scored
};
Reliability reliability(const std::vector<double>& levels, const std::vector<double>& values,
                        const std::vector<double>& obs);

// The reliability diagram: one curve per named Reliability (e.g. one per lead time) and the
// diagonal, nominal against observed probability, both from 0 to 1. Written with
// write_line_plot (atomically), as every other plot.
LinePlot reliability_plot(const std::vector<std::pair<std::string, Reliability>>& curves,
                          const std::string& title);

}  // namespace tessera::hydrology
