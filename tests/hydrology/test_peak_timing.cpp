// Peak timing error as neuralhydrology defines its "Peak-Timing" metric, on hand-built series
// where each of its rules (prominence, distance between peaks, window at the ends and across
// missing days, the simulated local maximum) decides the result.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tessera/hydrology/metrics.hpp"

namespace tessera::hydrology {
namespace {

// A triangle of `height` above the series, 9 steps wide, peaking at `at`.
void bump(std::vector<double>& v, size_t at, double height) {
  for (int d = -4; d <= 4; ++d) {
    const long i = long(at) + d;
    if (i >= 0 && i < long(v.size()))
      v[size_t(i)] = std::max(v[size_t(i)], 1 + height * (1 - std::abs(d) / 5.0));
  }
}

TEST(PeakTiming, EachRuleOfNeuralhydrologyDecides) {
  std::vector<double> obs(662, 1.0), sim(662, 1.0);
  bump(obs, 60, 9), bump(sim, 62, 9);    // counted: 2 steps late
  bump(obs, 180, 7), bump(sim, 179, 7);  // counted: 1 step early
  bump(obs, 200, 4), bump(sim, 203, 4);  // lower and within 100 steps of 180: dropped
  bump(obs, 300, 8);                     // counted: the simulation has a local maximum at 300
  sim[299] = 2, sim[300] = 3, sim[301] = 2.5, sim[302] = 9, sim[303] = 4;  // (argmax: 302)
  bump(obs, 420, 0.5), bump(sim, 423, 3);  // prominence 0.5 below the std (about 1.1): dropped
  bump(obs, 540, 6), bump(sim, 543, 5);
  obs[542] = NAN;                        // its window spans a missing day: skipped
  bump(obs, 660, 5), bump(sim, 657, 5);  // its window leaves the series: skipped
  EXPECT_NEAR(peak_timing_error(sim, obs), (2 + 1 + 0) / 3.0, 1e-12);
  // Without the missing day, the peak at 540 counts too (3 steps).
  obs[542] = 1 + 6 * 0.6;
  EXPECT_NEAR(peak_timing_error(sim, obs), (2 + 1 + 0 + 3) / 4.0, 1e-12);
}

TEST(PeakTiming, FlatTopsCountAtTheirMiddleAndTheWindowBoundsTheSearch) {
  std::vector<double> obs(120, 1.0), sim(120, 1.0);
  obs[48] = 5, obs[49] = 10, obs[50] = 10, obs[51] = 10, obs[52] = 5;  // flat top: peak at 50
  bump(sim, 52, 9);
  EXPECT_NEAR(peak_timing_error(sim, obs), 2.0, 1e-12);
  // A simulated peak 10 steps late: beyond a daily window of 3 (the window's edge, still
  // rising, is the maximum), inside an hourly one of 12.
  for (size_t i = 0; i < sim.size(); ++i) sim[i] = 1 + 0.01 * double(std::min<size_t>(i, 60));
  bump(sim, 60, 9);
  EXPECT_NEAR(peak_timing_error(sim, obs, 3), 3.0, 1e-12);
  EXPECT_NEAR(peak_timing_error(sim, obs, 12), 10.0, 1e-12);
}

TEST(PeakTiming, NoPeakIsNaNAndBadInputsAreRefused) {
  std::vector<double> rising(50);
  for (size_t i = 0; i < rising.size(); ++i) rising[i] = double(i);
  EXPECT_TRUE(std::isnan(peak_timing_error(rising, rising)));
  EXPECT_TRUE(std::isnan(peak_timing_error({1, 2}, {1, 2})));
  EXPECT_THROW(peak_timing_error({1, 2, 3}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(peak_timing_error({1, 2, 3}, {1, 2, 3}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::hydrology
