// Discharge skill scores against hand-computed values; GR4J against INRAE's published
// reference run, its water balance, its calibration recovering known parameters, and its input
// checks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tessera/hydrology/gr4j.hpp"
#include "tessera/hydrology/metrics.hpp"
#include "tessera/hydrology/readers.hpp"

namespace tessera::hydrology {
namespace {

TEST(Metrics, HandComputedScores) {
  const std::vector<double> obs = {1, 2, 3, 4}, sim = {1, 2, 3, 5};
  // Observed mean 2.5: sum of squares about it 5; squared error 1.
  EXPECT_NEAR(nash_sutcliffe(sim, obs), 0.8, 1e-12);
  // Simulated mean 2.75 (beta 1.1); sums of squares 8.75 and 5 (alpha sqrt(1.75)); co-sum 6.5.
  const KlingGupta k = kling_gupta(sim, obs);
  const double r = 6.5 / std::sqrt(8.75 * 5), alpha = std::sqrt(1.75), beta = 1.1;
  EXPECT_NEAR(k.r, r, 1e-12);
  EXPECT_NEAR(k.alpha, alpha, 1e-12);
  EXPECT_NEAR(k.beta, beta, 1e-12);
  EXPECT_NEAR(k.kge, 1 - std::sqrt((r - 1) * (r - 1) + (alpha - 1) * (alpha - 1) + 0.01), 1e-12);
  EXPECT_NEAR(percent_bias(sim, obs), 10.0, 1e-12);
  EXPECT_NEAR(peak_flow_error(sim, obs, 0.25), 25.0, 1e-12);  // the top day: 5 against 4
  EXPECT_NEAR(nash_sutcliffe(obs, obs), 1.0, 1e-12);
  EXPECT_NEAR(kling_gupta(obs, obs).kge, 1.0, 1e-12);
}

TEST(Metrics, MissingDaysAreLeftOutAndBadSeriesRefused) {
  const std::vector<double> obs = {1, NAN, 2, 3, 4}, sim = {1, 7, 2, 3, 5};
  EXPECT_NEAR(nash_sutcliffe(sim, obs), 0.8, 1e-12);
  EXPECT_THROW(nash_sutcliffe({1, 2}, {1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(nash_sutcliffe({1, 2}, {3, 3}), std::invalid_argument);  // no variance
  EXPECT_THROW(kling_gupta({1, NAN}, {NAN, 2}), std::invalid_argument);
}

// Three years of made-up forcing: rain on about a third of the days, seasonal evaporation.
void forcing(std::vector<double>& p, std::vector<double>& e, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::exponential_distribution<double> rain(1.0 / 9.0);
  for (int t = 0; t < 3 * 365; ++t) {
    p.push_back(u(rng) < 0.35 ? rain(rng) : 0.0);
    e.push_back(2.5 + 2.0 * std::sin(2 * M_PI * t / 365.0));
  }
}

double stored(const Gr4jState& s) {
  double v = s.production + s.routing;
  for (double x : s.uh1) v += x;
  for (double x : s.uh2) v += x;
  return v;
}

// Rain + exchange = evaporation + discharge + change in storage, to rounding.
// INRAE's GR4J spreadsheet example (tests/hydrology/data/README.md): the same parameters and
// initial stores give the same discharge, day by day, storm and recession alike.
TEST(Gr4j, MatchesThePublishedReferenceRun) {
  const TimeSeries s = read_csv_series(std::string(TESSERA_TEST_DATA) + "/gr4j_reference.csv", {});
  ASSERT_EQ(s.length, 151);
  const Gr4jParams p{320.1073, 2.4208, 69.6276, 1.3891};
  Gr4jState start = initial_gr4j_state(p);
  start.production = 0.6 * p.x1;
  start.routing = 0.7 * p.x3;
  const Gr4jRun r = run_gr4j(p, s.at("precip_mm"), s.at("etp_mm"), &start);
  const std::vector<double>& want = s.at("qsim_mm");
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::abs(r.discharge[i] - want[i]));
  // The parameters are published to 4 decimals: agreement to 1e-3 mm/day on flows of 0.5-24.
  EXPECT_LT(worst, 1e-3);
  EXPECT_NEAR(r.discharge[9], 22.4639837144386, 1e-3);  // the 51 mm storm of 10 January
}

TEST(Gr4j, ClosesTheWaterBalance) {
  std::vector<double> p, e;
  forcing(p, e, 1);
  for (const Gr4jParams& params : {Gr4jParams{350, 0, 90, 1.7}, Gr4jParams{800, -2.5, 40, 3.2}}) {
    const Gr4jState start = initial_gr4j_state(params);
    const Gr4jRun r = run_gr4j(params, p, e, &start);
    double in = 0, out = 0;
    for (size_t t = 0; t < p.size(); ++t)
      in += p[t] + r.exchange[t], out += r.actual_evaporation[t] + r.discharge[t];
    EXPECT_NEAR(in - out, stored(r.end) - stored(start), 1e-8 * in) << params.x2;
    for (double q : r.discharge) ASSERT_GE(q, 0.0);
  }
}

TEST(Gr4j, CalibrationRecoversKnownParameters) {
  std::vector<double> p, e;
  forcing(p, e, 2);
  const Gr4jParams truth{600, -1.0, 70, 2.4};
  const std::vector<double> q = run_gr4j(truth, p, e).discharge;
  const Calibration c = calibrate_gr4j(p, e, q, {.warmup = 180, .evaluations = 4000, .seed = 3});
  EXPECT_GT(c.nse, 0.99);
  EXPECT_NEAR(c.params.x4, truth.x4, 0.3);
  EXPECT_NEAR(c.params.x3, truth.x3, 0.3 * truth.x3);
}

TEST(Gr4j, RefusesBadInputs) {
  EXPECT_THROW(run_gr4j({350, 0, 90, 0.2}, {1}, {1}), std::invalid_argument);
  EXPECT_THROW(run_gr4j({-1, 0, 90, 2}, {1}, {1}), std::invalid_argument);
  EXPECT_THROW(run_gr4j({}, {1, 2}, {1}), std::invalid_argument);
  EXPECT_THROW(run_gr4j({}, {1, NAN}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(calibrate_gr4j({1, 2, 3}, {1, 1, 1}, {1, 1}), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::hydrology
