#pragma once
// Skill scores of simulated against observed discharge. Days where either value is missing
// (NaN) are left out of every score.
#include <cstdint>
#include <vector>

namespace tessera::hydrology {

// Nash-Sutcliffe efficiency: 1 - sum (sim - obs)^2 / sum (obs - mean obs)^2 (1 is perfect,
// 0 is no better than the observed mean).
double nash_sutcliffe(const std::vector<double>& sim, const std::vector<double>& obs);

// Kling-Gupta efficiency (Gupta et al. 2009) and its parts.
struct KlingGupta {
  double kge = 0;    // 1 - sqrt((r - 1)^2 + (alpha - 1)^2 + (beta - 1)^2)
  double r = 0;      // Pearson correlation
  double alpha = 0;  // standard deviation ratio sim / obs
  double beta = 0;   // mean ratio sim / obs
};
KlingGupta kling_gupta(const std::vector<double>& sim, const std::vector<double>& obs);

// Percent bias: 100 * sum (sim - obs) / sum obs.
double percent_bias(const std::vector<double>& sim, const std::vector<double>& obs);

// Peak-flow error (Yilmaz et al. 2008, FHV): percent bias of the highest `fraction` of flows,
// simulated and observed each sorted on their own (default the top 2%).
double peak_flow_error(const std::vector<double>& sim, const std::vector<double>& obs,
                       double fraction = 0.02);

// Peak timing error, neuralhydrology's "Peak-Timing" (Kratzert et al. 2021, HESS 25, 2685,
// appendix; neuralhydrology.evaluation.metrics.mean_peak_timing): the mean absolute offset, in
// time steps, between each observed peak and the simulated one near it. Steps where either value
// is missing are dropped first. The observed peaks are scipy.signal.find_peaks's with
// distance=100 and prominence=std(obs): local maxima (the middle of a flat top), then, highest
// first, every lower peak closer than 100 steps to a kept one is dropped, then those whose
// prominence (height above the higher of the lowest points on either side before a higher
// value) is below the observations' population standard deviation. A peak is skipped when its
// window of +-`window` steps leaves the series or spans a missing step. The simulated peak is
// the simulation at the observed peak's step when it is a local maximum there, else the
// window's maximum (its first step on ties). NaN when no peak is scored. window: 3 for daily
// steps and 12 for hourly ones, as neuralhydrology chooses; multiply by the step for hours.
double peak_timing_error(const std::vector<double>& sim, const std::vector<double>& obs,
                         int64_t window = 3);

struct Scores {
  double nse = 0, kge = 0, r = 0, alpha = 0, beta = 0;
  double percent_bias = 0, peak_flow_error = 0;  // percent
  int64_t days = 0;                              // scored
};

// Every score above. A score the days do not define (fewer than 2, observations without
// variance, no flow to compare against) is NaN rather than an error, so the others still
// stand; a dry test period of an intermittent river has a bias but no NSE.
Scores skill_scores(const std::vector<double>& sim, const std::vector<double>& obs);

}  // namespace tessera::hydrology
