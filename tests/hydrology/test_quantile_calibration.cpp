// Post-hoc quantile calibration: shifts found by hand on a small case, and on a synthetic series
// with known heteroscedastic noise, bands that were too narrow hold their stated coverage on
// cases the shifts were not fitted on.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tessera/hydrology/quantile_calibration.hpp"

namespace tessera::hydrology {
namespace {

TEST(QuantileCalibration, ShiftsByHand) {
  // One level (the median) and spreads floored at 1e-3 + 0.01 * |q|: quantile 0, spread 0.001.
  // The observations sit 1, 2, 3 spreads above: the median distance is 2 spreads.
  const std::vector<double> levels = {0.5};
  const std::vector<double> values = {0, 0, 0};
  const std::vector<double> observed = {0.001, 0.002, 0.003};
  const std::vector<double> shift = fit_quantile_shifts(levels, values, observed);
  ASSERT_EQ(shift.size(), 1u);
  EXPECT_NEAR(shift[0], 2, 1e-9);
}

TEST(QuantileCalibration, ShiftsAreInUnitsOfEachCasesSpread) {
  // Quantiles {0, 10} and {0, 20} (spreads 10 and 20); each observation 5 spreads above the
  // lower one: the lower level's shift is 5 spreads, and applying it moves each case by its own.
  const std::vector<double> levels = {0.1, 0.9};
  std::vector<double> values = {0, 10, 0, 20};
  const std::vector<double> shift = fit_quantile_shifts(levels, values, {50, 100});
  EXPECT_NEAR(shift[0], 5, 1e-9);
  EXPECT_NEAR(shift[1], 4, 1e-9);  // (50 - 10) / 10 and (100 - 20) / 20
  apply_quantile_shifts(levels, shift, values);
  EXPECT_EQ(values, (std::vector<double>{50, 50, 100, 100}));
}

TEST(QuantileCalibration, ApplySortsAndFloors) {
  std::vector<double> values = {1, 2};
  apply_quantile_shifts({0.1, 0.9}, {0.5, -2}, values);  // spread 1: 1.5 and 0, sorted, floored
  EXPECT_EQ(values, (std::vector<double>{0, 1.5}));
}

TEST(QuantileCalibration, TooNarrowBandsHoldTheirCoverageOnUnseenCases) {
  // Truth t varies over two orders of magnitude; the observation is t + N(0, (0.3 t)^2). The
  // forecast states quantiles of N(t, (0.1 t)^2): far too narrow. Fitted on 4000 cases, the
  // shifted quantiles cover 50, 80 and 90% of 4000 others.
  const std::vector<double> levels = {0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95};
  const double z[] = {-1.6449, -1.2816, -0.6745, 0, 0.6745, 1.2816, 1.6449};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> truth(0.1, 10);
  std::normal_distribution<double> noise(0, 1);
  auto draw = [&](std::vector<double>& values, std::vector<double>& observed) {
    for (int i = 0; i < 4000; ++i) {
      const double t = truth(rng);
      for (double zj : z) values.push_back(t + zj * 0.1 * t);
      observed.push_back(t + noise(rng) * 0.3 * t);
    }
  };
  std::vector<double> fit_values, fit_observed, values, observed;
  draw(fit_values, fit_observed);
  draw(values, observed);
  auto coverage = [&](size_t lo, size_t hi) {
    double inside = 0;
    for (size_t i = 0; i < observed.size(); ++i)
      inside += observed[i] >= values[i * 7 + lo] && observed[i] <= values[i * 7 + hi];
    return inside / double(observed.size());
  };
  EXPECT_LT(coverage(1, 5), 0.45);  // the stated 80% band before calibration
  apply_quantile_shifts(levels, fit_quantile_shifts(levels, fit_values, fit_observed), values,
                        -1e9);
  EXPECT_NEAR(coverage(2, 4), 0.5, 0.03);
  EXPECT_NEAR(coverage(1, 5), 0.8, 0.03);
  EXPECT_NEAR(coverage(0, 6), 0.9, 0.03);
}

TEST(QuantileCalibration, SizesMustAgree) {
  EXPECT_THROW(fit_quantile_shifts({0.5}, {1, 2}, {1}), std::invalid_argument);
  std::vector<double> v = {1, 2, 3};
  EXPECT_THROW(apply_quantile_shifts({0.1, 0.9}, {0, 0}, v), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::hydrology
