// Probabilistic forecast scores against hand-computed cases and closed forms: the quantile CRPS
// (by hand and against a normal distribution's exact CRPS), the ensemble CRPS, band coverage,
// the Brier score, exceedance probabilities from the same CDF, and the reliability diagram.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "tessera/hydrology/probabilistic.hpp"

namespace tessera::hydrology {
namespace {

const std::vector<double> kQuartiles = {0.25, 0.5, 0.75};

TEST(QuantileCrps, HandComputedCases) {
  const double q[] = {1, 2, 3};
  // F rises linearly 0.25 -> 0.5 on [1, 2] and 0.5 -> 0.75 on [2, 3], 0 below 1, 1 from 3.
  // y = 2: integral of F^2 on [1, 2] = (0.25^2 + 0.25 * 0.5 + 0.5^2) / 3 = 0.4375 / 3, and of
  // (1 - F)^2 on [2, 3] the same: 7 / 24. (Also 2 * integral of the pinball loss: 2 * 7 / 48.)
  EXPECT_NEAR(crps_from_quantiles(kQuartiles, q, 2), 7.0 / 24, 1e-12);
  // y = 5: F^2 on [1, 2] 0.4375 / 3, on [2, 3] (0.25 + 0.375 + 0.5625) / 3, 1 on [3, 5]: 61 / 24.
  EXPECT_NEAR(crps_from_quantiles(kQuartiles, q, 5), 61.0 / 24, 1e-12);
  // y = 0: (1 - 0)^2 on [0, 1], then (1 - F)^2: (0.75^2 + 0.75 * 0.5 + 0.5^2) / 3 on [1, 2] and
  // (0.5^2 + 0.5 * 0.25 + 0.25^2) / 3 on [2, 3] = 1 + 1.1875 / 3 + 0.4375 / 3 = 37 / 24.
  EXPECT_NEAR(crps_from_quantiles(kQuartiles, q, 0), 37.0 / 24, 1e-12);
  // One level is a point mass: the CRPS is the absolute error.
  const double median = 4;
  EXPECT_NEAR(crps_from_quantiles({0.5}, &median, 1.5), 2.5, 1e-12);
  // Tied quantiles are a distribution too: F jumps from 0 to 0.5 at 1, rises to 0.75 at 3.
  const double tied[] = {1, 1, 3};
  // y = 1: integral of (1 - F)^2 on [1, 3] = 2 * (0.5^2 + 0.5 * 0.25 + 0.25^2) / 3 = 0.875 / 3.
  EXPECT_NEAR(crps_from_quantiles(kQuartiles, tied, 1), 0.875 / 3, 1e-12);
}

// The exact CRPS of N(mu, sigma^2) at y (Gneiting et al. 2005):
// sigma * (z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi)), z = (y - mu) / sigma.
double normal_crps(double mu, double sigma, double y) {
  const double z = (y - mu) / sigma, pi = std::acos(-1.0);
  const double Phi = 0.5 * std::erfc(-z / std::sqrt(2.0)),
               phi = std::exp(-z * z / 2) / std::sqrt(2 * pi);
  return sigma * (z * (2 * Phi - 1) + 2 * phi - 1 / std::sqrt(pi));
}

// The normal quantile by bisection on erfc (accurate to 1e-13 of a standard deviation).
double normal_quantile(double tau) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < tau ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

TEST(QuantileCrps, ApproachesTheNormalDistributionsExactCrps) {
  const double mu = 10, sigma = 3;
  auto quantiles = [&](int K, std::vector<double>& levels) {
    levels.clear();
    std::vector<double> q;
    for (int k = 1; k <= K; ++k) {
      levels.push_back(double(k) / (K + 1));
      q.push_back(mu + sigma * normal_quantile(levels.back()));
    }
    return q;
  };
  std::vector<double> coarse_levels, fine_levels;
  const std::vector<double> coarse = quantiles(9, coarse_levels),
                            fine = quantiles(1999, fine_levels);
  for (double y : {10.0, 11.5, 4.0, 25.0}) {
    const double exact = normal_crps(mu, sigma, y);
    const double fine_error = std::abs(crps_from_quantiles(fine_levels, fine.data(), y) - exact);
    EXPECT_LT(fine_error, 2e-4 * exact) << "y = " << y;
    // More levels, closer: the approximation converges to the distribution's CRPS.
    EXPECT_LT(fine_error, std::abs(crps_from_quantiles(coarse_levels, coarse.data(), y) - exact))
        << "y = " << y;
  }
}

TEST(QuantileCrps, MeanSkipsMissingCasesAndRefusesWhatIsNoDistribution) {
  const std::vector<double> values = {1, 2, 3, 1, 2, 3, NAN, 2, 3};
  EXPECT_NEAR(mean_crps(kQuartiles, values, {2, 5, 2}), (7.0 + 61.0) / 48, 1e-12);
  EXPECT_NEAR(mean_crps(kQuartiles, values, {NAN, 5, 2}), 61.0 / 24, 1e-12);
  EXPECT_TRUE(std::isnan(mean_crps(kQuartiles, values, {NAN, NAN, 2})));
  EXPECT_THROW(mean_crps(kQuartiles, values, {1, 2}), std::invalid_argument);  // 9 for 2 x 3
  EXPECT_THROW(mean_crps({0.5, 0.25}, {1, 2}, {1}), std::invalid_argument);    // not increasing
  EXPECT_THROW(mean_crps({0.5, 1.0}, {1, 2}, {1}), std::invalid_argument);     // level 1
  EXPECT_THROW(mean_crps({}, {}, {}), std::invalid_argument);
  try {
    mean_crps(kQuartiles, {1, 3, 2}, {2});  // crossing quantiles
    FAIL() << "crossing quantiles were scored";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sort"), std::string::npos) << e.what();
  }
}

TEST(EnsembleCrps, HandComputedCasesAndTheIntegralDefinition) {
  const double two[] = {1, 3};
  // mean |x - 2| = 1; sum_ij |x_i - x_j| = 4, / (2 * 4) = 0.5. The integral: F = 0.5 on [1, 3),
  // (0.5)^2 over [1, 2] and (1 - 0.5)^2 over [2, 3]: 0.5.
  EXPECT_NEAR(crps_ensemble(two, 2, 2), 0.5, 1e-12);
  const double one = 4;
  EXPECT_NEAR(crps_ensemble(&one, 1, 1.5), 2.5, 1e-12);
  // Unsorted members, y outside: mean |x - 0| = 7 / 3; pairs |3-1| + |3-3| ... sum 2 * (2 + 0 + 2)
  // = 8 over 2 * 9: 4 / 9.
  const double three[] = {3, 1, 3};
  EXPECT_NEAR(crps_ensemble(three, 3, 0), 7.0 / 3 - 8.0 / 18, 1e-12);
  // Against the direct double sum on random members.
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(5, 2);
  std::vector<double> m(11);
  for (double& v : m) v = noise(rng);
  double error = 0, pairs = 0;
  for (double a : m) {
    error += std::abs(a - 4.2);
    for (double b : m) pairs += std::abs(a - b);
  }
  EXPECT_NEAR(crps_ensemble(m.data(), 11, 4.2), error / 11 - pairs / (2 * 121), 1e-12);
}

TEST(EnsembleCrps, MeanSkipsMissingCasesAndChecksSizes) {
  EXPECT_NEAR(mean_crps_ensemble({1, 3, NAN, 0, 4, 4}, 2, {2, 1, 6}), (0.5 + 2.0) / 2, 1e-12);
  EXPECT_TRUE(std::isnan(mean_crps_ensemble({1, 3}, 2, {NAN})));
  EXPECT_THROW(mean_crps_ensemble({1, 3, 4}, 2, {1, 2}), std::invalid_argument);
  EXPECT_THROW(mean_crps_ensemble({}, 0, {}), std::invalid_argument);
}

TEST(BandCoverage, CountsObservationsInsideTheClosedBand) {
  // Inside, on the low edge, on the high edge, below, above; a missing day is left out.
  EXPECT_NEAR(band_coverage({1, 1, 1, 1, 1, 1}, {3, 3, 3, 3, 3, 3}, {2, 1, 3, 0.5, 4, NAN}), 0.6,
              1e-12);
  EXPECT_THROW(band_coverage({1, 4}, {3, 3}, {2, 2}), std::invalid_argument);  // low > high
  EXPECT_THROW(band_coverage({1}, {3, 3}, {2, 2}), std::invalid_argument);
  EXPECT_TRUE(std::isnan(band_coverage({1}, {3}, {NAN})));
}

TEST(BandCoverage, CentralBandInterpolatesTheQuantiles) {
  const std::vector<double> levels = {0.05, 0.25, 0.5, 0.75, 0.95};
  const std::vector<double> values = {0, 2, 3, 4, 8, 10, 12, 13, 14, 18};
  const Band b80 = central_band(levels, values, 0.8);  // 0.1 and 0.9
  // 0.1 is a quarter of the way from 0.05 to 0.25: 0 + 0.25 * 2; 0.9 three quarters from 0.75.
  EXPECT_NEAR(b80.low[0], 0.5, 1e-12);
  EXPECT_NEAR(b80.high[0], 4 + 0.75 * 4, 1e-12);
  EXPECT_NEAR(b80.low[1], 10.5, 1e-12);
  const Band b50 = central_band(levels, values, 0.5);
  EXPECT_EQ(b50.low, (std::vector<double>{2, 12}));
  EXPECT_EQ(b50.high, (std::vector<double>{4, 14}));
  const Band b99 = central_band(levels, values, 0.99);  // beyond the outer levels: held there
  EXPECT_EQ(b99.low, (std::vector<double>{0, 10}));
  EXPECT_THROW(central_band(levels, values, 1.0), std::invalid_argument);
}

TEST(Exceedance, FromTheSameCdfAsTheCrps) {
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  const double q[] = {1, 2, 4};
  EXPECT_NEAR(exceedance_probability(levels, q, 3.0), 0.3, 1e-12);  // F(3) = 0.5 + 0.4 / 2
  EXPECT_NEAR(exceedance_probability(levels, q, 1.5), 0.7, 1e-12);
  EXPECT_NEAR(exceedance_probability(levels, q, 0.5), 1.0, 1e-12);  // below q_1
  EXPECT_NEAR(exceedance_probability(levels, q, 1.0), 0.9, 1e-12);  // the mass 0.1 at q_1
  EXPECT_NEAR(exceedance_probability(levels, q, 4.0), 0.0, 1e-12);  // the mass 0.1 at q_K
  // The CRPS is the integral of (F - 1[x >= y])^2 of this very CDF (midpoint rule, fine grid).
  double integral = 0;
  const double dx = 1e-4, y = 2.7;
  for (double x0 = 0; x0 < 6; x0 += dx) {
    const double x = x0 + dx / 2, d = quantile_cdf(levels, q, x) - (x >= y ? 1 : 0);
    integral += d * d * dx;
  }
  EXPECT_NEAR(crps_from_quantiles(levels, q, y), integral, 1e-6);
}

TEST(BrierScore, HandComputed) {
  // Events (obs > 10): no, yes, no (10 is not above), yes; a missing day is left out.
  const double b = brier_score({0.2, 0.7, 0.5, 1.0, 0.3}, {5, 12, 10, 11, NAN}, 10);
  EXPECT_NEAR(b, (0.04 + 0.09 + 0.25 + 0.0) / 4, 1e-12);
  EXPECT_NEAR(brier_score({0.5, 0.5}, {0, 20}, 10), 0.25, 1e-12);
  EXPECT_THROW(brier_score({1.2}, {5}, 10), std::invalid_argument);
  EXPECT_THROW(brier_score({0.2}, {5, 6}, 10), std::invalid_argument);
}

TEST(Reliability, ObservedSharesBelowEachQuantile) {
  // Four cases with quartiles {1, 2, 3}; observations 0.5, 1.5, 2.5, 3.5 fall one in each gap.
  const std::vector<double> values = {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3};
  const Reliability r = reliability(kQuartiles, values, {0.5, 1.5, 2.5, 3.5, NAN});
  EXPECT_EQ(r.cases, 4);
  EXPECT_EQ(r.nominal, kQuartiles);
  EXPECT_EQ(r.observed, (std::vector<double>{0.25, 0.5, 0.75}));
  // Overconfident: every observation above the upper quartile.
  EXPECT_EQ(reliability(kQuartiles, {1, 2, 3}, {9}).observed, (std::vector<double>{0, 0, 0}));
}

TEST(Reliability, CalibratedQuantilesLieOnTheDiagonal) {
  // Quantiles of the distribution the observations are drawn from: observed ~ nominal.
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  const std::vector<double> levels = {0.1, 0.25, 0.5, 0.75, 0.9};
  std::vector<double> values, obs;
  for (int i = 0; i < 4000; ++i) {
    const double centre = 10 * u(rng);  // each day its own uniform [centre, centre + 2]
    for (double tau : levels) values.push_back(centre + 2 * tau);
    obs.push_back(centre + 2 * u(rng));
  }
  const Reliability r = reliability(levels, values, obs);
  for (size_t k = 0; k < levels.size(); ++k) EXPECT_NEAR(r.observed[k], levels[k], 0.03);
}

TEST(Reliability, PlotHasTheDiagonalAndOneCurvePerLeadAndWritesAPng) {
  const Reliability r1{{0.1, 0.5, 0.9}, {0.2, 0.5, 0.7}, 10},
      r2{{0.1, 0.5, 0.9}, {0.3, 0.5, 0.6}, 10};
  const LinePlot p = reliability_plot({{"lead 1", r1}, {"lead 2", r2}}, "test period");
  ASSERT_EQ(p.series.size(), 3u);
  EXPECT_EQ(p.series[0].x, (std::vector<double>{0, 1}));
  EXPECT_EQ(p.series[0].y, (std::vector<double>{0, 1}));
  EXPECT_EQ(p.series[1].name, "lead 1");
  EXPECT_EQ(p.series[2].y, r2.observed);
  const std::string png =
      (std::filesystem::temp_directory_path() / "tessera_reliability_test.png").string();
  write_line_plot(png, p);
  EXPECT_GT(std::filesystem::file_size(png), 1000u);
  std::filesystem::remove(png);
  EXPECT_THROW(reliability_plot({{"bad", Reliability{{0.1}, {}, 0}}}, ""), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::hydrology
