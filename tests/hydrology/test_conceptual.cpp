// GR4J's snow routine, Oudin evaporation and day-of-year climatology against hand-computed
// values, and calibration of the snow model on a catchment whose truth is known.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "tessera/data/catchment.hpp"
#include "tessera/hydrology/climatology.hpp"
#include "tessera/hydrology/conceptual.hpp"
#include "tessera/hydrology/metrics.hpp"
#include "tessera/hydrology/pet.hpp"

namespace tessera::hydrology {
namespace {

TEST(Snow, PackBuildsBelowZeroAndMeltsByDegreeDays) {
  ConceptualForcing f{.precipitation = {10, 5, 0, 0, 0, 2},
                      .evaporation = std::vector<double>(6, 0),
                      .temperature = {-3, -1, 2, 4, 10, 1}};
  const std::vector<double> w = liquid_water(f, {2.0});
  // Days 1-2 snow (pack 15), day 3 melts 4, day 4 melts 8, day 5 the last 3, day 6 rain 2.
  const std::vector<double> want = {0, 0, 4, 8, 3, 2};
  for (size_t i = 0; i < w.size(); ++i) EXPECT_DOUBLE_EQ(w[i], want[i]) << i;
  EXPECT_DOUBLE_EQ(std::accumulate(w.begin(), w.end(), 0.0), 17.0);  // water conserved
}

TEST(Snow, GivenSnowfallIsTheSnowPart) {
  ConceptualForcing f{.precipitation = {10, 0},
                      .evaporation = {0, 0},
                      .temperature = {5, 5},  // warm, yet 4 mm came as snow
                      .snowfall = {4, 0}};
  const std::vector<double> w = liquid_water(f, {0.5});
  EXPECT_DOUBLE_EQ(w[0], 6 + 2.5);  // rain, and 2.5 of the fresh snow melts the same day
  EXPECT_DOUBLE_EQ(w[1], 1.5);
}

TEST(Snow, WithoutTemperatureAllIsRain) {
  ConceptualForcing f{.precipitation = {3, 4}, .evaporation = {1, 1}};
  EXPECT_EQ(liquid_water(f, {5}), f.precipitation);
}

TEST(Snow, ThresholdSplitsAndMelts) {
  ConceptualForcing f{
      .precipitation = {4, 0, 0}, .evaporation = {0, 0, 0}, .temperature = {0.5, 1.5, 3}};
  // Below 1 degC the 4 mm are snow; above it 0.5 and then 2 degree-days melt at 2 mm each.
  const std::vector<double> w = liquid_water(f, {2.0, 1.0});
  EXPECT_DOUBLE_EQ(w[0], 0);
  EXPECT_DOUBLE_EQ(w[1], 1);
  EXPECT_DOUBLE_EQ(w[2], 3);
}

TEST(Conceptual, CalibrationRecoversAKnownSnowModel) {
  data::CatchmentOptions o{.years = 6, .noise = 0, .missing = 0};
  const TimeSeries s = data::make_catchment(o);
  ConceptualForcing f;
  for (int64_t i = 0; i < s.length; ++i) {
    f.precipitation.push_back(s.at("rain")[size_t(i)] + s.at("snow")[size_t(i)]);
    f.temperature.push_back((s.at("tmin")[size_t(i)] + s.at("tmax")[size_t(i)]) / 2);
  }
  f.evaporation = s.at("pet");
  f.snowfall = s.at("snow");
  std::vector<double> q = s.at("discharge");
  for (double& v : q) v *= 86.4 / o.area_km2;  // m3/s -> mm/day
  const ConceptualModel m = calibrate_conceptual(f, q, {.warmup = 365, .evaluations = 4000},
                                                 {.routine = SnowRoutine::degree_day});
  EXPECT_EQ(m.snow_routine, SnowRoutine::degree_day);
  EXPECT_GT(m.nse, 0.98);  // DDS on a flat optimum; the truth scores 1
  EXPECT_NEAR(m.snow.melt_factor, o.truth.snow.melt_factor, 0.5);
  // Without the snow routine the same data fits worse: the spring melt comes in winter.
  ConceptualForcing rain_only{.precipitation = f.precipitation, .evaporation = f.evaporation};
  EXPECT_LT(calibrate_conceptual(rain_only, q, {.warmup = 365, .evaluations = 1500}).nse,
            m.nse - 0.05);
}

TEST(Oudin, MatchesFao56AndTheFormula) {
  // FAO-56 example 8: 20 degS on 3 September (day 246), Re = 32.2 MJ m-2 day-1.
  EXPECT_NEAR(extraterrestrial_radiation(-20, 246), 32.2, 0.05);
  const Day day = day_of({2015, 9, 3});
  const std::vector<double> pet = oudin_pet({15, -6, NAN}, day, -20);
  EXPECT_NEAR(pet[0], extraterrestrial_radiation(-20, 246) / 2.45 * 0.20, 1e-12);
  EXPECT_NEAR(pet[0], 2.63, 0.01);
  EXPECT_EQ(pet[1], 0);  // below -5 degC
  EXPECT_TRUE(std::isnan(pet[2]));
}

TEST(Climatology, MeanOfTheDayOfYearWindow) {
  // Two years; day-of-year k of either year holds k + 1000 * year index, one gap.
  const Day first = day_of({2001, 1, 1});
  std::vector<double> v;
  for (int y = 0; y < 2; ++y)
    for (int k = 1; k <= 365; ++k) v.push_back(k + 1000.0 * y);
  v[100] = NAN;  // day 101 of 2001
  const auto c = day_of_year_climatology(v, first, first, first + 729);
  // Day 200: days 185..215 of both years, 62 values: mean 200 + 500.
  EXPECT_NEAR(c[200], 700, 1e-9);
  // Day 101: its window lost one value of year 0 (101), so the mean shifts up.
  const double sum = [&] {
    double s = 0;
    for (int k = 86; k <= 116; ++k) s += (k == 101 ? 0 : k) + k + 1000;
    return s;
  }();
  EXPECT_NEAR(c[101], sum / 61, 1e-9);
  // Windows wrap around new year: day 1 reads days 351..365 and 1..16 (day 366 never occurs).
  int64_t filled = 0;
  const std::vector<double> g = fill_gaps(v, first, c, &filled);
  EXPECT_EQ(filled, 1);
  EXPECT_DOUBLE_EQ(g[100], c[101]);
  // Restricting the years used changes the means.
  EXPECT_NEAR(day_of_year_climatology(v, first, first + 365, first + 729)[200], 1200, 1e-9);
}

}  // namespace
}  // namespace tessera::hydrology
