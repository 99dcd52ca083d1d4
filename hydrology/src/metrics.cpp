#include "tessera/hydrology/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

namespace tessera::hydrology {

namespace {

// The pairs where both are numbers; throws when the series differ in length or none is left.
void paired(const std::vector<double>& sim, const std::vector<double>& obs, std::vector<double>& s,
            std::vector<double>& o, const char* what) {
  if (sim.size() != obs.size())
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(sim.size()) +
                                " simulated and " + std::to_string(obs.size()) +
                                " observed values");
  for (size_t i = 0; i < sim.size(); ++i)
    if (std::isfinite(sim[i]) && std::isfinite(obs[i])) s.push_back(sim[i]), o.push_back(obs[i]);
  if (s.size() < 2)
    throw std::invalid_argument(std::string(what) + ": fewer than 2 days with both values");
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

}  // namespace

double nash_sutcliffe(const std::vector<double>& sim, const std::vector<double>& obs) {
  std::vector<double> s, o;
  paired(sim, obs, s, o, "nash_sutcliffe");
  const double m = mean(o);
  double err = 0, var = 0;
  for (size_t i = 0; i < s.size(); ++i)
    err += (s[i] - o[i]) * (s[i] - o[i]), var += (o[i] - m) * (o[i] - m);
  if (var == 0) throw std::invalid_argument("nash_sutcliffe: the observations do not vary");
  return 1 - err / var;
}

KlingGupta kling_gupta(const std::vector<double>& sim, const std::vector<double>& obs) {
  std::vector<double> s, o;
  paired(sim, obs, s, o, "kling_gupta");
  const double ms = mean(s), mo = mean(o);
  double vs = 0, vo = 0, cov = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    vs += (s[i] - ms) * (s[i] - ms);
    vo += (o[i] - mo) * (o[i] - mo);
    cov += (s[i] - ms) * (o[i] - mo);
  }
  if (vo == 0 || mo == 0)
    throw std::invalid_argument("kling_gupta: the observations do not vary or average zero");
  KlingGupta k;
  k.r = vs > 0 ? cov / std::sqrt(vs * vo) : 0;
  k.alpha = std::sqrt(vs / vo);
  k.beta = ms / mo;
  k.kge = 1 - std::sqrt((k.r - 1) * (k.r - 1) + (k.alpha - 1) * (k.alpha - 1) +
                        (k.beta - 1) * (k.beta - 1));
  return k;
}

double percent_bias(const std::vector<double>& sim, const std::vector<double>& obs) {
  std::vector<double> s, o;
  paired(sim, obs, s, o, "percent_bias");
  const double so = mean(o) * double(o.size());
  if (so == 0) throw std::invalid_argument("percent_bias: the observations sum to zero");
  return 100 * (mean(s) * double(s.size()) - so) / so;
}

double peak_flow_error(const std::vector<double>& sim, const std::vector<double>& obs,
                       double fraction) {
  if (!(fraction > 0 && fraction <= 1))
    throw std::invalid_argument("peak_flow_error: fraction must be in (0, 1]");
  std::vector<double> s, o;
  paired(sim, obs, s, o, "peak_flow_error");
  std::sort(s.begin(), s.end(), std::greater<>());
  std::sort(o.begin(), o.end(), std::greater<>());
  const size_t n = std::max<size_t>(1, size_t(std::ceil(fraction * double(o.size()))));
  double ds = 0, dobs = 0;
  for (size_t i = 0; i < n; ++i) ds += s[i], dobs += o[i];
  if (dobs == 0) throw std::invalid_argument("peak_flow_error: the highest observations are zero");
  return 100 * (ds - dobs) / dobs;
}

namespace {

// scipy.signal's local maxima: x[i] above its left neighbour and above the first different value
// on its right; a flat top counts once, at its middle (left + right) / 2. Ends are never peaks.
std::vector<size_t> local_maxima(const std::vector<double>& x) {
  std::vector<size_t> peaks;
  for (size_t i = 1; i + 1 < x.size(); ++i) {
    if (!(x[i - 1] < x[i])) continue;
    size_t ahead = i + 1;
    while (ahead + 1 < x.size() && x[ahead] == x[i]) ++ahead;
    if (x[ahead] < x[i]) {
      peaks.push_back((i + ahead - 1) / 2);
      i = ahead;
    }
  }
  return peaks;
}

// scipy's distance rule: highest peak first (the later one among equals), every peak closer
// than `distance` steps to a kept one is dropped.
std::vector<size_t> apart(const std::vector<size_t>& peaks, const std::vector<double>& x,
                          size_t distance) {
  std::vector<size_t> order(peaks.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return x[peaks[a]] < x[peaks[b]]; });
  std::vector<bool> keep(peaks.size(), true);
  for (auto j = order.rbegin(); j != order.rend(); ++j) {
    if (!keep[*j]) continue;
    for (size_t k = 0; k < peaks.size(); ++k)
      if (k != *j &&
          (peaks[k] > peaks[*j] ? peaks[k] - peaks[*j] : peaks[*j] - peaks[k]) < distance)
        keep[k] = false;
  }
  std::vector<size_t> kept;
  for (size_t k = 0; k < peaks.size(); ++k)
    if (keep[k]) kept.push_back(peaks[k]);
  return kept;
}

// Topographic prominence of the peak at p: its height above the higher of the two lowest points
// reached on either side before a value above it (or the series' end).
double prominence(const std::vector<double>& x, size_t p) {
  double left = x[p], right = x[p];
  for (size_t i = p; i-- > 0 && x[i] <= x[p];) left = std::min(left, x[i]);
  for (size_t i = p + 1; i < x.size() && x[i] <= x[p]; ++i) right = std::min(right, x[i]);
  return x[p] - std::max(left, right);
}

// neuralhydrology's fewest steps between two observed peaks, whatever the time step.
constexpr size_t kPeakDistance = 100;

double population_std(const std::vector<double>& x) {
  const double m = mean(x);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return std::sqrt(ss / double(x.size()));
}

}  // namespace

double peak_timing_error(const std::vector<double>& sim, const std::vector<double>& obs,
                         int64_t window) {
  if (sim.size() != obs.size())
    throw std::invalid_argument("peak_timing_error: " + std::to_string(sim.size()) +
                                " simulated and " + std::to_string(obs.size()) +
                                " observed values");
  if (window < 1) throw std::invalid_argument("peak_timing_error: the window must be >= 1 step");
  std::vector<double> s, o;
  std::vector<size_t> step;  // of each kept pair in the full series
  for (size_t i = 0; i < sim.size(); ++i)
    if (!std::isnan(sim[i]) && !std::isnan(obs[i]))
      s.push_back(sim[i]), o.push_back(obs[i]), step.push_back(i);
  if (o.size() < 3) return std::numeric_limits<double>::quiet_NaN();
  const double min_prominence = population_std(o);
  const size_t w = size_t(window);
  double sum = 0;
  int64_t n = 0;
  for (size_t p : apart(local_maxima(o), o, kPeakDistance)) {
    if (prominence(o, p) < min_prominence) continue;
    if (p < w || p + w >= o.size() || step[p + w] - step[p - w] != 2 * w) continue;
    size_t at = p;
    if (!(s[p] > s[p - 1] && s[p] > s[p + 1]))
      at = size_t(std::max_element(s.begin() + long(p - w), s.begin() + long(p + w + 1)) -
                  s.begin());
    sum += double(at > p ? at - p : p - at), ++n;
  }
  return n > 0 ? sum / double(n) : std::numeric_limits<double>::quiet_NaN();
}

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename F, typename T>
T or_fallback(F f, T fallback) {
  try {
    return f();
  } catch (const std::invalid_argument&) {
    return fallback;
  }
}

}  // namespace

Scores skill_scores(const std::vector<double>& sim, const std::vector<double>& obs) {
  Scores s;
  const KlingGupta k =
      or_fallback([&] { return kling_gupta(sim, obs); }, KlingGupta{kNaN, kNaN, kNaN, kNaN});
  s.nse = or_fallback([&] { return nash_sutcliffe(sim, obs); }, kNaN);
  s.kge = k.kge, s.r = k.r, s.alpha = k.alpha, s.beta = k.beta;
  s.percent_bias = or_fallback([&] { return percent_bias(sim, obs); }, kNaN);
  s.peak_flow_error = or_fallback([&] { return peak_flow_error(sim, obs); }, kNaN);
  for (size_t i = 0; i < sim.size(); ++i) s.days += !std::isnan(sim[i]) && !std::isnan(obs[i]);
  return s;
}

}  // namespace tessera::hydrology
