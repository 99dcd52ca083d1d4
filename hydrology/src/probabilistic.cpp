#include "tessera/hydrology/probabilistic.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

namespace tessera::hydrology {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

void check_levels(const std::vector<double>& levels, const char* what) {
  if (levels.empty()) throw std::invalid_argument(std::string(what) + ": no quantile levels");
  for (size_t k = 0; k < levels.size(); ++k) {
    if (!(levels[k] > 0 && levels[k] < 1))
      throw std::invalid_argument(std::string(what) + ": quantile level " + number(levels[k]) +
                                  " is outside (0, 1)");
    if (k > 0 && !(levels[k] > levels[k - 1]))
      throw std::invalid_argument(std::string(what) + ": quantile levels must increase (" +
                                  number(levels[k - 1]) + " then " + number(levels[k]) + ")");
  }
}

// True when every value is a number; throws when the quantiles decrease (crossing quantiles
// describe no distribution: the model's output must be sorted first).
bool check_quantiles(const std::vector<double>& levels, const double* q, const char* what) {
  for (size_t k = 0; k < levels.size(); ++k)
    if (std::isnan(q[k])) return false;
  for (size_t k = 1; k < levels.size(); ++k)
    if (q[k] < q[k - 1])
      throw std::invalid_argument(std::string(what) + ": the quantile at level " +
                                  number(levels[k]) + " (" + number(q[k]) +
                                  ") is below the one at " + number(levels[k - 1]) + " (" +
                                  number(q[k - 1]) + "); sort each case's quantiles");
  return true;
}

// Cases of a [case][width] table whose observation is given; throws when the sizes differ.
size_t check_table(size_t values, size_t width, size_t cases, const char* what) {
  if (values != cases * width)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(values) +
                                " forecast values for " + std::to_string(cases) +
                                " observations of " + std::to_string(width) + " values each");
  return cases;
}

void check_same_length(size_t a, size_t b, const char* what) {
  if (a != b)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(a) + " forecasts and " +
                                std::to_string(b) + " observations");
}

double cdf_unchecked(const std::vector<double>& levels, const double* q, double x) {
  const size_t K = levels.size();
  if (x < q[0]) return 0;
  if (x >= q[K - 1]) return 1;
  // k: the last quantile <= x, so q[k] <= x < q[k + 1] (never a zero-width step).
  const size_t k = size_t(std::upper_bound(q, q + K, x) - q) - 1;
  return levels[k] + (levels[k + 1] - levels[k]) * (x - q[k]) / (q[k + 1] - q[k]);
}

// Mean of f(case) over the cases f scores (f returns NaN for the others); NaN when none is.
template <typename F>
double mean_over(size_t cases, F f) {
  double sum = 0;
  int64_t n = 0;
  for (size_t i = 0; i < cases; ++i) {
    const double v = f(i);
    if (!std::isnan(v)) sum += v, ++n;
  }
  return n > 0 ? sum / double(n) : kNaN;
}

}  // namespace

double quantile_cdf(const std::vector<double>& levels, const double* q, double x) {
  check_levels(levels, "quantile_cdf");
  if (!check_quantiles(levels, q, "quantile_cdf") || std::isnan(x)) return kNaN;
  return cdf_unchecked(levels, q, x);
}

double quantile_at(const std::vector<double>& levels, const double* q, double tau) {
  check_levels(levels, "quantile_at");
  if (!(tau > 0 && tau < 1))
    throw std::invalid_argument("quantile_at: level " + number(tau) + " is outside (0, 1)");
  if (!check_quantiles(levels, q, "quantile_at")) return kNaN;
  const size_t K = levels.size();
  if (tau <= levels[0]) return q[0];
  if (tau >= levels[K - 1]) return q[K - 1];
  const size_t k = size_t(std::upper_bound(levels.begin(), levels.end(), tau) - levels.begin()) - 1;
  return q[k] + (q[k + 1] - q[k]) * (tau - levels[k]) / (levels[k + 1] - levels[k]);
}

double exceedance_probability(const std::vector<double>& levels, const double* q,
                              double threshold) {
  return 1 - quantile_cdf(levels, q, threshold);
}

double crps_from_quantiles(const std::vector<double>& levels, const double* q, double obs) {
  check_levels(levels, "crps_from_quantiles");
  if (!check_quantiles(levels, q, "crps_from_quantiles") || std::isnan(obs)) return kNaN;
  std::vector<double> breaks(q, q + levels.size());
  breaks.insert(std::upper_bound(breaks.begin(), breaks.end(), obs), obs);
  // Two-point Gauss-Legendre nodes at mid +- half / sqrt(3), weights half each.
  const double node = 1 / std::sqrt(3.0);
  double crps = 0;
  for (size_t i = 1; i < breaks.size(); ++i) {
    const double half = (breaks[i] - breaks[i - 1]) / 2, mid = breaks[i - 1] + half;
    if (half == 0) continue;
    const double above = mid >= obs ? 1 : 0;  // 1[x >= y], constant on the interval
    for (double x : {mid - half * node, mid + half * node}) {
      const double d = cdf_unchecked(levels, q, x) - above;
      crps += half * d * d;
    }
  }
  return crps;
}

double mean_crps(const std::vector<double>& levels, const std::vector<double>& values,
                 const std::vector<double>& obs) {
  check_levels(levels, "mean_crps");
  const size_t K = levels.size();
  return mean_over(check_table(values.size(), K, obs.size(), "mean_crps"),
                   [&](size_t i) { return crps_from_quantiles(levels, &values[i * K], obs[i]); });
}

double crps_ensemble(const double* members, int64_t m, double obs) {
  if (m < 1) throw std::invalid_argument("crps_ensemble: an ensemble needs at least one member");
  std::vector<double> x(members, members + m);
  if (std::isnan(obs) || std::any_of(x.begin(), x.end(), [](double v) { return std::isnan(v); }))
    return kNaN;
  std::sort(x.begin(), x.end());
  double error = 0, spread = 0;
  for (int64_t i = 0; i < m; ++i) {
    error += std::abs(x[size_t(i)] - obs);
    spread += double(2 * i - m + 1) * x[size_t(i)];  // half of sum_i sum_j |x_i - x_j|
  }
  const double md = double(m);
  return error / md - spread / (md * md);
}

double mean_crps_ensemble(const std::vector<double>& members, int64_t m,
                          const std::vector<double>& obs) {
  if (m < 1)
    throw std::invalid_argument("mean_crps_ensemble: an ensemble needs at least one member");
  const size_t w = size_t(m);
  return mean_over(check_table(members.size(), w, obs.size(), "mean_crps_ensemble"),
                   [&](size_t i) { return crps_ensemble(&members[i * w], m, obs[i]); });
}

double band_coverage(const std::vector<double>& low, const std::vector<double>& high,
                     const std::vector<double>& obs) {
  check_same_length(low.size(), obs.size(), "band_coverage");
  check_same_length(high.size(), obs.size(), "band_coverage");
  return mean_over(obs.size(), [&](size_t i) {
    if (std::isnan(low[i]) || std::isnan(high[i]) || std::isnan(obs[i])) return kNaN;
    if (low[i] > high[i])
      throw std::invalid_argument("band_coverage: case " + std::to_string(i) + "'s low bound " +
                                  number(low[i]) + " is above its high bound " + number(high[i]));
    return obs[i] >= low[i] && obs[i] <= high[i] ? 1.0 : 0.0;
  });
}

Band central_band(const std::vector<double>& levels, const std::vector<double>& values,
                  double share) {
  if (!(share > 0 && share < 1))
    throw std::invalid_argument("central_band: share " + number(share) + " is outside (0, 1)");
  check_levels(levels, "central_band");
  const size_t K = levels.size();
  if (values.size() % K != 0)
    throw std::invalid_argument("central_band: " + std::to_string(values.size()) +
                                " forecast values are not whole cases of " + std::to_string(K) +
                                " levels");
  Band b;
  for (size_t i = 0; i < values.size() / K; ++i) {
    b.low.push_back(quantile_at(levels, &values[i * K], (1 - share) / 2));
    b.high.push_back(quantile_at(levels, &values[i * K], (1 + share) / 2));
  }
  return b;
}

double brier_score(const std::vector<double>& probability, const std::vector<double>& obs,
                   double threshold) {
  check_same_length(probability.size(), obs.size(), "brier_score");
  if (std::isnan(threshold)) throw std::invalid_argument("brier_score: the threshold is NaN");
  return mean_over(obs.size(), [&](size_t i) {
    const double p = probability[i];
    if (std::isnan(p) || std::isnan(obs[i])) return kNaN;
    if (p < 0 || p > 1)
      throw std::invalid_argument("brier_score: case " + std::to_string(i) + "'s probability " +
                                  number(p) + " is outside [0, 1]");
    const double event = obs[i] > threshold ? 1 : 0;
    return (p - event) * (p - event);
  });
}

Reliability reliability(const std::vector<double>& levels, const std::vector<double>& values,
                        const std::vector<double>& obs) {
  check_levels(levels, "reliability");
  const size_t K = levels.size(), cases = check_table(values.size(), K, obs.size(), "reliability");
  Reliability r{levels, std::vector<double>(K, 0.0), 0};
  for (size_t i = 0; i < cases; ++i) {
    const double* q = &values[i * K];
    if (!check_quantiles(levels, q, "reliability") || std::isnan(obs[i])) continue;
    ++r.cases;
    for (size_t k = 0; k < K; ++k) r.observed[k] += obs[i] <= q[k] ? 1 : 0;
  }
  for (double& o : r.observed) o = r.cases > 0 ? o / double(r.cases) : kNaN;
  return r;
}

LinePlot reliability_plot(const std::vector<std::pair<std::string, Reliability>>& curves,
                          const std::string& title) {
  LinePlot p{.title = title,
             .x_label = "nominal probability (quantile level)",
             .y_label = "observed frequency below the quantile",
             .width = 640,
             .height = 600};
  p.series.push_back({"calibrated", {0, 1}, {0, 1}});
  for (const auto& [name, r] : curves) {
    if (r.nominal.size() != r.observed.size())
      throw std::invalid_argument("reliability_plot: curve '" + name + "' has " +
                                  std::to_string(r.nominal.size()) + " levels and " +
                                  std::to_string(r.observed.size()) + " observed shares");
    p.series.push_back({name, r.nominal, r.observed});
  }
  return p;
}

}  // namespace tessera::hydrology
