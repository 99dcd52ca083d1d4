// CemaNeige against its published equations (Valery et al. 2014; airGR's extrapolation to
// elevation bands) computed by hand, its bands from a hypsometric curve, runs day by day and
// whole, calibration on a catchment whose truth is known, the stored form and the config.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "error_of.hpp"
#include "tessera/data/catchment.hpp"
#include "tessera/hydrology/baselines.hpp"
#include "tessera/hydrology/cemaneige.hpp"
#include "tessera/hydrology/conceptual.hpp"
#include "tessera/hydrology/config.hpp"

namespace tessera::hydrology {
namespace {

using tessera::testing::error_of;

TEST(CemaNeige, SolidFractionUsaceAndHydrotel) {
  // USACE: all snow below -1 degC, all rain above 3, linear between.
  EXPECT_EQ(usace_solid_fraction(-5), 1);
  EXPECT_EQ(usace_solid_fraction(-1), 1);
  EXPECT_DOUBLE_EQ(usace_solid_fraction(0), 0.75);
  EXPECT_DOUBLE_EQ(usace_solid_fraction(1), 0.5);
  EXPECT_DOUBLE_EQ(usace_solid_fraction(2.5), 0.125);
  EXPECT_EQ(usace_solid_fraction(3), 0);
  EXPECT_EQ(usace_solid_fraction(10), 0);
  // Hydrotel: 1 - tmax / (tmax - tmin) when the day crosses 0 degC.
  EXPECT_DOUBLE_EQ(hydrotel_solid_fraction(-2, 6), 0.25);
  EXPECT_DOUBLE_EQ(hydrotel_solid_fraction(-3, 1), 0.75);
  EXPECT_EQ(hydrotel_solid_fraction(0.5, 6), 0);
  EXPECT_EQ(hydrotel_solid_fraction(-5, 0), 1);
}

TEST(CemaNeige, OneDayOfThermalStateMeltAndCover) {
  const CemaNeigeParams p{.ctg = 0.5, .kf = 4};
  // Gthreshold = 0.9 * mean annual solid precipitation.
  EXPECT_DOUBLE_EQ(melt_threshold(p, 200), 180);
  // The pack below the threshold: melt slowed to (0.9 * G / Gthreshold + 0.1) of its potential.
  CemaNeigeBand b{.pack = 100, .thermal_state = -0.5};
  const CemaNeigeFlux f = cemaneige_band_day(b, {10, 2, 0.25}, p, 200);
  EXPECT_DOUBLE_EQ(f.solid, 2.5);
  EXPECT_DOUBLE_EQ(f.liquid, 7.5);
  EXPECT_EQ(b.thermal_state, 0);          // 0.5 * -0.5 + 0.5 * 2 = 0.75, capped at 0
  EXPECT_DOUBLE_EQ(f.potential_melt, 8);  // Kf * T = 4 * 2, under the 102.5 mm pack
  EXPECT_NEAR(f.melt, (0.9 * 102.5 / 200 + 0.1) * 8, 1e-12);  // 4.49
  EXPECT_NEAR(b.pack, 102.5 - 4.49, 1e-12);
  EXPECT_NEAR(b.cover, (102.5 - 4.49) / 200, 1e-12);
  EXPECT_NEAR(f.water(), 7.5 + 4.49, 1e-12);
  // A pack still colder than 0 degC does not melt on a warm day.
  CemaNeigeBand cold{.pack = 50, .thermal_state = -4};
  const CemaNeigeFlux g = cemaneige_band_day(cold, {0, 3, 0}, p, 200);
  EXPECT_DOUBLE_EQ(cold.thermal_state, -0.5);  // 0.5 * -4 + 0.5 * 3
  EXPECT_EQ(g.potential_melt, 0);
  EXPECT_EQ(cold.pack, 50);
  // Above the threshold the whole potential melts, and melt never exceeds the pack.
  CemaNeigeBand thin{.pack = 3};
  const CemaNeigeFlux h = cemaneige_band_day(thin, {0, 5, 0}, p, 2);
  EXPECT_EQ(h.potential_melt, 3);
  EXPECT_EQ(h.melt, 3);
  EXPECT_EQ(thin.pack, 0);
}

TEST(CemaNeige, HysteresisCoverRisesWithSnowAndFallsWithThePack) {
  const CemaNeigeParams p{
      .ctg = 0.5, .kf = 4, .hysteresis = true, .accumulation = 50, .threshold_share = 0.5};
  EXPECT_DOUBLE_EQ(melt_threshold(p, 200), 100);
  // Accumulating: cover grows by the fresh snow over Gacc.
  CemaNeigeBand b{.pack = 10, .thermal_state = -2, .cover = 0.2, .local_max = 100};
  cemaneige_band_day(b, {20, -5, 1}, p, 100);
  EXPECT_DOUBLE_EQ(b.pack, 30);
  EXPECT_DOUBLE_EQ(b.cover, 0.2 + 20.0 / 50);
  // Melting a full cover below the local maximum: the maximum drops to the pack, which then
  // covers by its share of it.
  CemaNeigeBand m{.pack = 60, .thermal_state = 0, .cover = 1, .local_max = 100};
  const CemaNeigeFlux f = cemaneige_band_day(m, {0, 5, 0}, p, 100);
  EXPECT_EQ(m.local_max, 60);
  EXPECT_EQ(f.melt, 20);  // Kf * T at full cover
  EXPECT_DOUBLE_EQ(m.pack, 40);
  EXPECT_DOUBLE_EQ(m.cover, 40.0 / 60);
}

TEST(CemaNeige, TemperatureGradientsFollowAirGRsTable) {
  // Entries of GradT_Valery2010 (mean, min, max; degC per 100 m) on five calendar days.
  struct Row {
    const char* date;
    double mean, min, max;
  };
  for (const Row& r :
       {Row{"2001-01-01", 0.434, 0.366, 0.498}, Row{"2000-02-29", 0.546, 0.399, 0.709},
        Row{"2001-03-01", 0.547, 0.399, 0.711}, Row{"2003-05-15", 0.602, 0.440, 0.769},
        Row{"1999-12-15", 0.428, 0.365, 0.497}}) {
    const TemperatureGradients g = temperature_gradients(parse_date(r.date));
    EXPECT_NEAR(g.mean, r.mean, 0.002) << r.date;
    EXPECT_NEAR(g.min, r.min, 0.002) << r.date;
    EXPECT_NEAR(g.max, r.max, 0.003) << r.date;
  }
  // The same calendar day of any year has the same gradients.
  EXPECT_EQ(temperature_gradients(parse_date("1950-07-04")).mean,
            temperature_gradients(parse_date("2024-07-04")).mean);
}

TEST(CemaNeige, ForcingExtrapolatedToTheBands) {
  // exp(0.00041 * rise), the rise counted to 4000 m only.
  EXPECT_DOUBLE_EQ(precipitation_factor(1500, 500), std::exp(0.41));
  EXPECT_DOUBLE_EQ(precipitation_factor(300, 500), std::exp(-0.082));
  EXPECT_DOUBLE_EQ(precipitation_factor(4500, 1000), std::exp(0.00041 * 3000));
  EXPECT_EQ(precipitation_factor(4500, 4200), 1);
  const Day day = parse_date("2003-05-15");
  const TemperatureGradients g = temperature_gradients(day);
  const StationDay d{.date = day,
                     .precipitation = 12,
                     .temperature = 1,
                     .temperature_min = -3,
                     .temperature_max = 5};
  ElevationBands e{.elevations = {300, 1500}, .input_elevation = 500, .scale_precipitation = false};
  std::vector<BandWeather> w = band_weather(d, e);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_DOUBLE_EQ(w[0].temperature, 1 + 200 * g.mean / 100);
  EXPECT_DOUBLE_EQ(w[1].temperature, 1 - 1000 * g.mean / 100);
  EXPECT_DOUBLE_EQ(w[0].precipitation, 12 * std::exp(-0.082));
  EXPECT_DOUBLE_EQ(w[1].precipitation, 12 * std::exp(0.41));
  // Below 1500 m with minimum and maximum: Hydrotel's fraction on the band's own extremes.
  EXPECT_DOUBLE_EQ(w[1].solid_fraction, hydrotel_solid_fraction(-3 - 10 * g.min, 5 - 10 * g.max));
  // Scaled (airGR's default), the bands share the input's precipitation: their mean is 12.
  e.scale_precipitation = true;
  w = band_weather(d, e);
  EXPECT_NEAR((w[0].precipitation + w[1].precipitation) / 2, 12, 1e-12);
  EXPECT_NEAR(w[1].precipitation / w[0].precipitation, std::exp(0.41 + 0.082), 1e-12);
  // From 1500 m up, USACE on the band's mean temperature.
  e = {.elevations = {1600, 2600}, .input_elevation = 1600};
  w = band_weather(d, e);
  EXPECT_DOUBLE_EQ(w[0].solid_fraction, usace_solid_fraction(1));
  EXPECT_DOUBLE_EQ(w[1].solid_fraction, usace_solid_fraction(1 - 10 * g.mean));
  // A measured snowfall fixes the fraction everywhere; no elevations: the forcing as it is.
  StationDay snowy = d;
  snowy.snowfall = 3;
  w = band_weather(snowy, {});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].precipitation, 12);
  EXPECT_EQ(w[0].temperature, 1);
  EXPECT_EQ(w[0].solid_fraction, 0.25);
  EXPECT_EQ(band_weather(d, {}).at(0).solid_fraction, usace_solid_fraction(1));  // unknown input
  EXPECT_NE(
      error_of([&] { band_weather(d, {.elevations = {900}}); }).find("input_elevation: missing"),
      std::string::npos);
}

TEST(CemaNeige, BandsFromAHypsometricCurve) {
  std::vector<double> curve(101);
  for (size_t i = 0; i < curve.size(); ++i) curve[i] = 1000 + 10 * double(i);
  // 20 percentiles a band, each at its 9th: percentiles 9, 29, 49, 69, 89.
  EXPECT_EQ(hypsometric_bands(curve), (std::vector<double>{1090, 1290, 1490, 1690, 1890}));
  // 34, 33 and 33 percentiles.
  EXPECT_EQ(hypsometric_bands(curve, 3), (std::vector<double>{1160, 1490, 1820}));
  // Two percentiles a band: their mean; one: itself.
  EXPECT_EQ(hypsometric_bands(curve, 50).front(), 1005);
  EXPECT_EQ(hypsometric_bands(curve, 100).back(), 1990);
  std::vector<double> short_curve(curve.begin(), curve.end() - 1);
  EXPECT_NE(error_of([&] { hypsometric_bands(short_curve); }).find("101"), std::string::npos);
  std::vector<double> falling = curve;
  falling[40] = 0;
  EXPECT_NE(error_of([&] { hypsometric_bands(falling); }).find("percentile 40 is 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { hypsometric_bands(curve, 0); }).find("1 to 100"), std::string::npos);
}

// Twenty days of a thaw on two bands.
ConceptualForcing thaw() {
  ConceptualForcing f{.first = parse_date("2001-03-20")};
  for (int t = 0; t < 20; ++t) {
    f.precipitation.push_back(t % 3 == 0 ? 15 : t % 5 == 0 ? 4 : 0);
    f.evaporation.push_back(1.5);
    f.temperature.push_back(-6 + 0.8 * t);
  }
  return f;
}

ConceptualModel cemaneige_model(bool hysteresis = false) {
  ConceptualModel m{{320, 0.3, 80, 1.8}, {}, 0};
  m.snow_routine = SnowRoutine::cemaneige;
  m.cemaneige = {.params = {.ctg = 0.6,
                            .kf = 3,
                            .hysteresis = hysteresis,
                            .accumulation = 20,
                            .threshold_share = 0.4},
                 .elevation = {.elevations = {700, 1400}, .input_elevation = 900},
                 .mean_annual_solid_precipitation = 60};
  return m;
}

TEST(CemaNeige, RunIsTheBandsDayByDayIntoGr4j) {
  const ConceptualForcing f = thaw();
  const ConceptualModel m = cemaneige_model();
  const double threshold = 0.9 * 60;
  std::vector<CemaNeigeBand> bands(2);
  std::vector<double> water;
  double packs = 0;
  for (size_t t = 0; t < f.precipitation.size(); ++t) {
    const auto w = band_weather({.date = f.first + Day(t),
                                 .precipitation = f.precipitation[t],
                                 .temperature = f.temperature[t]},
                                m.cemaneige.elevation);
    water.push_back((cemaneige_band_day(bands[0], w[0], m.cemaneige.params, threshold).water() +
                     cemaneige_band_day(bands[1], w[1], m.cemaneige.params, threshold).water()) /
                    2);
  }
  for (const CemaNeigeBand& b : bands) packs += b.pack / 2;
  const std::vector<double> q = run_conceptual(m, f);
  EXPECT_EQ(q, run_gr4j(m.gr4j, water, f.evaporation).discharge);
  // Water is conserved: what fell either reached GR4J or is still snow.
  const double fell = std::accumulate(f.precipitation.begin(), f.precipitation.end(), 0.0);
  EXPECT_NEAR(std::accumulate(water.begin(), water.end(), 0.0) + packs, fell, 1e-9);
  EXPECT_GT(packs, 0);  // the upper band still holds snow
  // Not the degree-day routine, and not without snow.
  ConceptualModel degree_day = m;
  degree_day.snow_routine = SnowRoutine::degree_day;
  degree_day.snow = {3, 0};
  EXPECT_NE(run_conceptual(degree_day, f), q);
}

TEST(CemaNeige, DayByDayFromStoredStatesEqualsTheWholeRun) {
  for (bool hysteresis : {false, true}) {
    const ConceptualForcing f = thaw();
    const ConceptualModel m = cemaneige_model(hysteresis);
    const std::vector<double> whole = run_conceptual(m, f);
    std::vector<ConceptualState> states;
    const std::vector<double> stepped =
        run_conceptual_states(m, f, initial_conceptual_state(m), states);
    ASSERT_EQ(stepped.size(), whole.size());
    for (size_t t = 0; t < whole.size(); ++t) EXPECT_NEAR(stepped[t], whole[t], 1e-12) << t;
    ASSERT_EQ(states[9].bands.size(), 2u);
    // Restarting from day 9's state gives the rest of the run.
    ConceptualForcing rest{.first = f.first + 10};
    for (auto [from, to] : {std::pair{&f.precipitation, &rest.precipitation},
                            {&f.evaporation, &rest.evaporation},
                            {&f.temperature, &rest.temperature}})
      to->assign(from->begin() + 10, from->end());
    std::vector<ConceptualState> unused;
    const std::vector<double> resumed = run_conceptual_states(m, rest, states[9], unused);
    for (size_t t = 0; t < resumed.size(); ++t)
      EXPECT_NEAR(resumed[t], whole[t + 10], 1e-12) << hysteresis << " " << t;
  }
  ConceptualModel unset = cemaneige_model();
  unset.cemaneige.mean_annual_solid_precipitation = NAN;
  EXPECT_NE(error_of([&] { run_conceptual(unset, thaw()); }).find("mean annual solid"),
            std::string::npos);
  ConceptualModel bad = cemaneige_model();
  bad.cemaneige.params.ctg = 1.5;
  EXPECT_NE(error_of([&] { run_conceptual(bad, thaw()); }).find("ctg"), std::string::npos);
}

// Four generated years with the phase left to CemaNeige (no snowfall given).
ConceptualForcing generated(const TimeSeries& s) {
  ConceptualForcing f{.first = s.first};
  for (int64_t i = 0; i < s.length; ++i) {
    f.precipitation.push_back(s.at("rain")[size_t(i)] + s.at("snow")[size_t(i)]);
    f.temperature.push_back((s.at("tmin")[size_t(i)] + s.at("tmax")[size_t(i)]) / 2);
  }
  f.evaporation = s.at("pet");
  return f;
}

TEST(CemaNeige, CalibrationRecoversAKnownModel) {
  const ConceptualForcing f =
      generated(data::make_catchment({.years = 4, .noise = 0, .missing = 0}));
  ConceptualModel truth{{320, 0.3, 80, 1.8}, {}, 0};
  truth.snow_routine = SnowRoutine::cemaneige;
  truth.cemaneige.params = {.ctg = 0.7, .kf = 4};
  double solid = 0;  // airGR's default: 365.25 times the mean daily snowfall
  for (size_t t = 0; t < f.precipitation.size(); ++t)
    solid += f.precipitation[t] * usace_solid_fraction(f.temperature[t]);
  truth.cemaneige.mean_annual_solid_precipitation = solid / double(f.precipitation.size()) * 365.25;
  const std::vector<double> q = run_conceptual(truth, f);
  // Six parameters by DDS: 6000 runs find the truth (3000 stop at CTG 0.44, Kf 3.86).
  const ConceptualModel m = calibrate_conceptual(f, q, {.warmup = 365, .evaluations = 6000});
  EXPECT_EQ(m.snow_routine, SnowRoutine::cemaneige);
  EXPECT_NEAR(m.cemaneige.mean_annual_solid_precipitation,
              truth.cemaneige.mean_annual_solid_precipitation, 1e-9);
  EXPECT_GT(m.nse, 0.999);
  EXPECT_NEAR(m.cemaneige.params.ctg, 0.7, 0.15);
  EXPECT_NEAR(m.cemaneige.params.kf, 4, 0.3);
  EXPECT_NEAR(m.gr4j.x1, 320, 30);
  // The hysteresis variant searches its two more within airGR's ranges.
  const ConceptualModel h =
      calibrate_conceptual(f, q, {.warmup = 365, .evaluations = 300}, {.hysteresis = true});
  EXPECT_TRUE(h.cemaneige.params.hysteresis);
  EXPECT_GE(h.cemaneige.params.accumulation, 0.05);
  EXPECT_LE(h.cemaneige.params.threshold_share, 1);
  EXPECT_GT(h.nse, 0.9);
}

TEST(CemaNeige, ForecastsStartFromTheIssueDaysBands) {
  TimeSeries s = data::make_catchment({.years = 3, .noise = 0, .missing = 0});
  HydrologyConfig c;
  c.gr4j = {{"rain", "snow"}, "pet", {"tmin", "tmax"}};
  c.train = {s.first, s.first + 729};  // 1980-1981: the issue days come after it
  c.lead_times = {1, 3};
  const ConceptualModel m = cemaneige_model();
  const std::vector<Day> issues = {parse_date("1982-03-01"), parse_date("1982-04-20")};
  const std::vector<double> base = baseline_forecasts(m, c, s, issues);
  ASSERT_EQ(base.size(), 4u);
  TimeSeries later = s;
  for (auto& [name, v] : later.variables)
    for (int64_t i = issues[1] - s.first + 1; i < s.length; ++i) v.values[size_t(i)] = 40;
  EXPECT_EQ(baseline_forecasts(m, c, later, issues), base);
  // Changing the snow before the issue day changes the forecast: the bands carry it.
  for (int64_t i = issues[1] - s.first - 60; i <= issues[1] - s.first; ++i)
    later.variables.at("tmin").values[size_t(i)] -= 15;
  EXPECT_NE(baseline_forecasts(m, c, later, issues)[3], base[3]);
}

TEST(CemaNeige, StoredAndReadBack) {
  ConceptualModel m = cemaneige_model(true);
  m.cemaneige.elevation.input_elevation = NAN;
  m.cemaneige.elevation.elevations.clear();
  m.nse = 0.8;
  const nlohmann::json j = nlohmann::json::parse(conceptual_to_json(m).dump());
  const ConceptualModel back = conceptual_from_json(j);
  EXPECT_EQ(back.snow_routine, SnowRoutine::cemaneige);
  EXPECT_EQ(back.cemaneige.params.accumulation, 20);
  EXPECT_TRUE(back.cemaneige.params.hysteresis);
  EXPECT_TRUE(std::isnan(back.cemaneige.elevation.input_elevation));
  EXPECT_EQ(back.cemaneige.mean_annual_solid_precipitation, 60);
  EXPECT_EQ(run_conceptual(back, thaw()), run_conceptual(m, thaw()));
  EXPECT_EQ(describe_snow(back),
            "CemaNeige on 1 band (CTG 0.60, Kf 3.00 mm/degC/day, Gacc 20.00 mm, threshold share "
            "0.40)");
  // A model stored before CemaNeige reads as degree-day.
  const nlohmann::json old = {{"x1", 300}, {"x2", 0.1},          {"x3", 70},
                              {"x4", 2},   {"melt_factor", 2.0}, {"nse", 0.9}};
  const ConceptualModel o = conceptual_from_json(old);
  EXPECT_EQ(o.snow_routine, SnowRoutine::degree_day);
  EXPECT_EQ(o.snow.melt_factor, 2);
  EXPECT_EQ(describe_snow(o), "degree-day melt 2.00 mm/degC/day above 0.00 degC");
  nlohmann::json odd = j;
  odd["snow"] = "glacier";
  EXPECT_EQ(error_of([&] { conceptual_from_json(odd, "m.h5"); }),
            "m.h5: unknown snow routine 'glacier' (degree_day or cemaneige)");
}

// The gr4j section of a config, parsed, or the error it gives.
HydrologyConfig with_gr4j(const nlohmann::json& gr4j) {
  const nlohmann::json j = {{"inputs", {{{"csv", "unused.csv"}}}},
                            {"forcings", {"rain"}},
                            {"gr4j", gr4j},
                            {"periods",
                             {{"train", {"1980-01-01", "1985-12-31"}},
                              {"validation", {"1986-01-01", "1986-12-31"}},
                              {"test", {"1987-01-01", "1987-12-31"}}}}};
  return parse_config(j, "/tmp");
}

TEST(CemaNeige, ConfigChoosesTheRoutineAndItsBands) {
  const nlohmann::json base = {
      {"precipitation", "rain"}, {"evaporation", "pet"}, {"temperature", {"tmin", "tmax"}}};
  EXPECT_EQ(with_gr4j(base).gr4j.snow.routine, SnowRoutine::cemaneige);  // the default
  EXPECT_EQ(with_gr4j(base).gr4j.snow.elevation.bands(), 1u);
  nlohmann::json g = base;
  g["snow"] = "degree_day";
  EXPECT_EQ(with_gr4j(g).gr4j.snow.routine, SnowRoutine::degree_day);
  g["snow"] = "cemaneige_hysteresis";
  EXPECT_TRUE(with_gr4j(g).gr4j.snow.hysteresis);
  std::vector<double> curve(101);
  for (size_t i = 0; i < curve.size(); ++i) curve[i] = 500 + 20 * double(i);
  g = base;
  g["elevation"] = {{"hypsometric_curve", curve}, {"bands", 4}};
  SnowChoice s = with_gr4j(g).gr4j.snow;
  EXPECT_EQ(s.elevation.elevations, hypsometric_bands(curve, 4));
  EXPECT_EQ(s.elevation.input_elevation, 1500);  // the curve's median
  g["elevation"] = {{"hypsometric_curve", curve}, {"bands", 1}};
  s = with_gr4j(g).gr4j.snow;  // one band at the median: the forcing as it is, as airGR
  EXPECT_EQ(s.elevation.bands(), 1u);
  EXPECT_TRUE(s.elevation.elevations.empty());
  EXPECT_EQ(s.elevation.input_elevation, 1500);
  g["elevation"] = {{"band_elevations", {800, 1200}}, {"input_elevation", 650}};
  s = with_gr4j(g).gr4j.snow;
  EXPECT_EQ(s.elevation.elevations, (std::vector<double>{800, 1200}));
  EXPECT_EQ(s.elevation.input_elevation, 650);

  auto error_with = [&](const std::string& key, const nlohmann::json& value) {
    nlohmann::json bad = base;
    bad[key] = value;
    return error_of([&] { with_gr4j(bad); });
  };
  EXPECT_HAS(error_with("snow", "glacier"),
             "gr4j.snow: must be cemaneige, cemaneige_hysteresis or degree_day, not 'glacier'");
  EXPECT_HAS(error_with("elevation", {{"band_elevations", {800}}}),
             "gr4j.elevation.input_elevation: missing");
  EXPECT_HAS(error_with("elevation", {{"hypsometric_curve", {1, 2, 3}}}),
             "gr4j.elevation.hypsometric_curve: must list 101 elevations");
  std::vector<double> falling = curve;
  falling[7] = 100;
  EXPECT_HAS(error_with("elevation", {{"hypsometric_curve", falling}}), "never decreasing");
  EXPECT_HAS(error_with("elevation", {{"hypsometric_curve", curve}, {"bands", 0}}),
             "gr4j.elevation.bands: must be 1 to 100");
  EXPECT_HAS(error_with("elevation", {{"hypsometric_curve", curve}, {"bands", 4294967301}}),
             "gr4j.elevation.bands: must be 1 to 100");
  EXPECT_HAS(error_with("elevation", {{"band_elevations", {800}}, {"bands", 2}}),
             "gr4j.elevation.bands: needs hypsometric_curve");
  EXPECT_HAS(error_with("elevation", {{"hypsometric_curve", curve}, {"band_elevations", {800}}}),
             "not both");
  EXPECT_HAS(error_with("elevation", {{"band_elevations", {80000}}, {"input_elevation", 500}}),
             "gr4j.elevation.band_elevations: must be elevations in -500..9000 m");
  EXPECT_HAS(error_with("elevation", {{"input_elevation", 500}, {"hypso", curve}}),
             "gr4j.elevation.hypso: unknown");
  nlohmann::json degree_day = base;
  degree_day["snow"] = "degree_day";
  degree_day["elevation"] = {{"input_elevation", 500}};
  EXPECT_HAS(error_of([&] { with_gr4j(degree_day); }),
             "gr4j.elevation: only CemaNeige has elevation bands");
  nlohmann::json no_temperature = base;
  no_temperature.erase("temperature");
  no_temperature["snow"] = "cemaneige";
  EXPECT_HAS(error_of([&] { with_gr4j(no_temperature); }), "gr4j.snow: needs gr4j.temperature");
}

}  // namespace
}  // namespace tessera::hydrology
