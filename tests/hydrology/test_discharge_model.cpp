// The discharge network on a generated catchment: it learns, it reloads identically, a forecast
// never reads data after its issue day, gaps are handled, and the evaluation's baselines are
// scored as by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "temp_dir.hpp"
#include "tessera/data/catchment.hpp"
#include "tessera/hydrology/baselines.hpp"
#include "tessera/hydrology/evaluation.hpp"
#include "tessera/hydrology/forecast.hpp"
#include "tessera/hydrology/metrics.hpp"
#include "tessera/hydrology/weather_forecasts.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::hydrology {
namespace {

using tessera::testing::TempDirTest;

// 8 generated years: train 1980-1985, validation 1986, test 1987; discharge in mm/day.
TimeSeries catchment(uint64_t seed = 0) {
  TimeSeries s = data::make_catchment({.years = 8, .seed = seed});
  for (double& q : s.variables.at("discharge").values) q *= 86.4 / 1000;
  s.variables.at("discharge").units = "mm/day";
  return s;
}

HydrologyConfig small_config(const std::string& mode, const nlohmann::json& gr4j = {}) {
  nlohmann::json j = {{"mode", mode},
                      {"inputs", {{{"csv", "unused.csv"}}}},
                      {"discharge", "discharge"},
                      {"forcings", {"rain", "snow", "tmin", "tmax", "pet"}},
                      {"periods",
                       {{"train", {"1980-01-01", "1985-12-31"}},
                        {"validation", {"1986-01-01", "1986-12-31"}},
                        {"test", {"1987-01-01", "1987-12-31"}}}},
                      {"model",
                       {{"sequence_length", 60},
                        {"hidden", 12},
                        {"ensemble", 2},
                        {"epochs", 6},
                        {"samples_per_epoch", 768},
                        {"batch", 64},
                        {"lr", 0.005},
                        {"dropout", 0.0}}}};
  if (mode == "forecasting") j["lead_times"] = {1, 2};
  if (!gr4j.is_null()) j["gr4j"] = gr4j;
  return parse_config(j, "/tmp");
}

// One trained forecasting model shared by the tests (training is the slow part).
DischargeModel& trained() {
  static DischargeModel m = train_discharge_model(small_config("forecasting"), catchment());
  return m;
}

TEST(DischargeModel, ForecastingLearnsBeyondClimatology) {
  DischargeModel& m = trained();
  EXPECT_GT(m.validation_nse, 0.5);
  const TimeSeries s = catchment();
  const Evaluation e = evaluate_discharge(m, s, m.config.test, "test");
  ASSERT_EQ(e.leads.size(), 2u);
  for (const LeadEvaluation& l : e.leads) {
    EXPECT_GT(l.methods.at("network").nse, l.methods.at("climatology").nse) << l.lead;
    EXPECT_GT(l.methods.at("network").nse, 0.6) << l.lead;
    EXPECT_EQ(l.methods.count("gr4j"), 0u);  // no baseline was calibrated
  }
}

TEST(DischargeModel, NormalisationIsThatOfTheTrainingPeriod) {
  const DischargeModel& m = trained();
  const TimeSeries s = catchment();
  ASSERT_EQ(m.inputs.back(), "discharge");  // forecasting reads past discharge too
  const std::vector<double>& rain = s.at("rain");
  double sum = 0;
  const int64_t days = m.config.train.length();
  for (int64_t i = 0; i < days; ++i) sum += rain[size_t(i)];  // the series starts with training
  EXPECT_NEAR(m.norm.mean[0], sum / double(days), 1e-9);
}

class DischargeModelFiles : public TempDirTest {};

TEST_F(DischargeModelFiles, ReloadedModelPredictsTheSame) {
  DischargeModel& m = trained();
  m.baseline = ConceptualModel{{300, 0.1, 70, 2}, {2.0, -0.5}, 0.9};
  save_discharge_model(path("m.h5"), m);
  DischargeModel back = load_discharge_model(path("m.h5"));
  EXPECT_EQ(back.inputs, m.inputs);
  EXPECT_EQ(back.norm.sd, m.norm.sd);
  ASSERT_TRUE(back.baseline.has_value());
  EXPECT_EQ(back.baseline->gr4j.x3, 70);
  EXPECT_EQ(back.baseline->snow.threshold, -0.5);
  EXPECT_EQ(back.config.json, m.config.json);
  const TimeSeries s = catchment();
  const std::vector<Day> days = {parse_date("1987-03-01"), parse_date("1987-06-15")};
  EXPECT_EQ(predict_discharge(back, s, days).values, predict_discharge(m, s, days).values);
  m.baseline.reset();
}

// A simulation model with a GR4J baseline: the network is a hybrid that reads GR4J's discharge
// and stores, and the blend with GR4J and the band's calibration are chosen on the validation
// year.
DischargeModel& hybrid() {
  static DischargeModel m = [] {
    const HydrologyConfig c = small_config("simulation", {{"precipitation", {"rain", "snow"}},
                                                          {"evaporation", "pet"},
                                                          {"temperature", {"tmin", "tmax"}},
                                                          {"snowfall", "snow"}});
    const TimeSeries s = catchment();
    return train_discharge_model(c, s, {}, {}, calibrate_baseline(c, s, 300));
  }();
  return m;
}

TEST(DischargeModel, HybridReadsGr4jAndChoosesOnValidation) {
  DischargeModel& m = hybrid();
  ASSERT_TRUE(m.hybrid);
  EXPECT_EQ(m.inputs.back(), "gr4j_routing_store");
  ASSERT_EQ(m.candidates.size(), 3u);
  const Candidate &net = m.candidates[0], &gr4j = m.candidates[1], &blend = m.candidates[2];
  EXPECT_EQ(net.name, "network");
  EXPECT_EQ(gr4j.name, "gr4j");
  ASSERT_EQ(blend.nse.size(), 1u);
  // The blend's grid holds both ends, so it is never worse than either on validation.
  EXPECT_GE(blend.nse[0], std::max(net.nse[0], gr4j.nse[0]));
  EXPECT_EQ(m.blend, blend.weight);
  // The forecast evaluate scores on the validation year is the chosen blend, and its calibrated
  // 80% band holds 80% of the observations there.
  const TimeSeries s = catchment();
  const Evaluation e = evaluate_discharge(m, s, m.config.validation, "validation");
  EXPECT_NEAR(e.leads[0].methods.at("network").nse, blend.nse[0], 1e-6);
  EXPECT_NEAR(e.leads[0].band_coverage, 0.8, 0.03);
}

TEST_F(DischargeModelFiles, HybridReloadsWithItsChoice) {
  DischargeModel& m = hybrid();
  save_discharge_model(path("h.h5"), m);
  DischargeModel back = load_discharge_model(path("h.h5"));
  EXPECT_TRUE(back.hybrid);
  EXPECT_EQ(back.blend, m.blend);
  EXPECT_EQ(back.calibration, m.calibration);
  EXPECT_EQ(back.levels, m.levels);
  EXPECT_EQ(back.choice, m.choice);
  const TimeSeries s = catchment();
  const std::vector<Day> days = {parse_date("1987-03-01"), parse_date("1987-06-15")};
  const DischargeForecast a = predict_discharge(back, s, days), b = predict_discharge(m, s, days);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.point, b.point);
}

// Weather forecasts: the network reads, for the days after the issue day, only the forecasts
// issued on the issue day.
TEST(DischargeModel, WeatherForecastsIssuedLaterChangeNothing) {
  HydrologyConfig c = small_config("forecasting");
  nlohmann::json j = c.json;
  j["forecasts"] = {{"variables", {"rain", "tmax"}}, {"hindcast", "perfect"}};
  j["model"]["epochs"] = 2;
  c = parse_config(j, "/tmp");
  const TimeSeries s = catchment();
  DischargeModel m = train_discharge_model(c, s);
  EXPECT_EQ(m.ahead, 2);
  EXPECT_EQ(m.forecast_inputs, (std::vector<std::string>{"rain", "tmax"}));
  const Day issue = parse_date("1987-05-10");
  WeatherForecasts w = perfect_forecasts(s, {"rain", "tmax"}, 2);
  const std::vector<double> before = predict_discharge(m, s, {issue}, &w).values;
  auto set = [&](Day day, int64_t lead, double rain) {
    w.variables.at("rain").values[size_t((day - w.first_issue) * w.max_lead + lead - 1)] = rain;
  };
  set(issue + 1, 1, 500);  // issued the next day: unseen
  set(issue - 1, 2, 500);  // issued the day before, for the same target: superseded
  EXPECT_EQ(predict_discharge(m, s, {issue}, &w).values, before);
  set(issue, 1, 500);  // issued on the issue day: read
  EXPECT_NE(predict_discharge(m, s, {issue}, &w).values, before);
  // And observed weather after the issue day is not read either.
  TimeSeries later = s;
  for (Day d = issue + 1; d <= s.last(); ++d)
    later.variables.at("rain").values[size_t(d - s.first)] = 999;
  WeatherForecasts same = perfect_forecasts(s, {"rain", "tmax"}, 2);
  EXPECT_EQ(predict_discharge(m, later, {issue}, &same).values,
            predict_discharge(m, s, {issue}, &same).values);
}

// Three generated basins, one model: "b" is larger and wetter in its attributes, "c" held out.
HydrologyConfig basins_config() {
  nlohmann::json j = small_config("forecasting").json;
  j.erase("inputs");
  j["model"]["epochs"] = 2;
  j["attributes"] = {"area", "wetness"};
  j["basins"] = {{{"id", "a"},
                  {"inputs", {{{"csv", "a.csv"}}}},
                  {"attributes", {{"area", 100}, {"wetness", 1}}}},
                 {{"id", "b"},
                  {"inputs", {{{"csv", "b.csv"}}}},
                  {"attributes", {{"area", 900}, {"wetness", 3}}}},
                 {{"id", "c"},
                  {"inputs", {{{"csv", "c.csv"}}}},
                  {"attributes", {{"area", 400}, {"wetness", 2}}},
                  {"held_out", true}}};
  return parse_config(j, "/tmp");
}

DischargeModel train_basins(const HydrologyConfig& c, double c_scale = 1) {
  std::vector<BasinData> data;
  for (size_t k = 0; k < 3; ++k) {
    BasinData b;
    b.id = c.basins[k].id;
    b.config = basin_config(c, k);
    b.series = catchment(k);
    if (k == 2)
      for (double& q : b.series.variables.at("discharge").values) q *= c_scale;
    b.attributes = basin_attributes(c, k);
    b.held_out = c.basins[k].held_out;
    data.push_back(std::move(b));
  }
  return train_discharge_model(c, data);
}

TEST(DischargeModel, ManyBasinsOneModel) {
  const HydrologyConfig c = basins_config();
  DischargeModel m = train_basins(c);
  ASSERT_EQ(m.basins.size(), 3u);
  EXPECT_TRUE(m.basins[2].held_out);
  EXPECT_EQ(m.attribute_names, (std::vector<std::string>{"area", "wetness"}));
  // Attributes are normalised over the basins trained on (a and b), not the held-out one.
  EXPECT_DOUBLE_EQ(m.norm.attribute_mean[0], 500);
  const std::vector<Day> days = {parse_date("1987-03-01"), parse_date("1987-06-15")};
  const TimeSeries a = catchment(0);
  select_basin(m, "a");
  const std::vector<double> as_a = predict_discharge(m, a, days).point;
  select_basin(m, "b");  // the same weather read as basin b: its attributes change the forecast
  EXPECT_NE(predict_discharge(m, a, days).point, as_a);
  EXPECT_THROW(select_basin(m, "d"), SettingError);
  // The held-out basin's discharge never reaches the network: changing it changes nothing.
  DischargeModel other = train_basins(c, 3.0);
  select_basin(other, "a");
  EXPECT_EQ(predict_discharge(other, a, days).point, as_a);
}

TEST_F(DischargeModelFiles, ManyBasinsReload) {
  const HydrologyConfig c = basins_config();
  DischargeModel m = train_basins(c);
  save_discharge_model(path("basins.h5"), m);
  DischargeModel back = load_discharge_model(path("basins.h5"));
  ASSERT_EQ(back.basins.size(), 3u);
  EXPECT_EQ(back.basins[1].attributes, m.basins[1].attributes);
  const TimeSeries b = catchment(1);
  const std::vector<Day> days = {parse_date("1987-03-01")};
  select_basin(m, "b");
  select_basin(back, "b");
  EXPECT_EQ(back.config.inputs.front().path, "/tmp/b.csv");
  EXPECT_EQ(predict_discharge(back, b, days).values, predict_discharge(m, b, days).values);
}

TEST(DischargeModel, ForecastIgnoresDataAfterItsIssueDay) {
  DischargeModel& m = trained();
  const TimeSeries s = catchment();
  const Day as_of = parse_date("1987-05-10");
  const std::vector<ForecastRow> base = forecast_as_of(m, s, as_of);
  ASSERT_EQ(base.size(), 2u);
  EXPECT_EQ(base[0].target, as_of + 1);
  EXPECT_LE(base[0].low, base[0].discharge);
  EXPECT_LE(base[0].discharge, base[0].high);
  // Everything after the issue day altered: the same forecast, to the bit.
  TimeSeries later = s;
  for (auto& [name, v] : later.variables)
    for (int64_t i = as_of - s.first + 1; i < s.length; ++i) v.values[size_t(i)] = 1000 + double(i);
  const std::vector<ForecastRow> again = forecast_as_of(m, later, as_of);
  for (size_t l = 0; l < base.size(); ++l) EXPECT_EQ(again[l].discharge, base[l].discharge);
  // The issue day's own data does reach it (the test could fail).
  TimeSeries today = s;
  today.variables.at("rain").values[size_t(as_of - s.first)] += 50;
  EXPECT_NE(forecast_as_of(m, today, as_of)[0].discharge, base[0].discharge);
  EXPECT_THROW(forecast_as_of(m, s, s.last() + 1), std::runtime_error);
}

TEST(DischargeModel, DataInOtherUnitsIsConverted) {
  DischargeModel& m = trained();
  ASSERT_EQ(m.input_units[2], "degC");  // tmin, as the generated catchment states it
  const TimeSeries s = catchment();
  TimeSeries kelvin = s;
  for (const char* t : {"tmin", "tmax"}) {
    for (double& v : kelvin.variables.at(t).values) v += 273.15;
    kelvin.variables.at(t).units = "K";
  }
  const Day as_of = parse_date("1987-04-01");
  EXPECT_NEAR(forecast_as_of(m, kelvin, as_of)[0].discharge,
              forecast_as_of(m, s, as_of)[0].discharge, 1e-6);
  kelvin.variables.at("tmin").units = "furlongs";
  EXPECT_THROW(forecast_as_of(m, kelvin, as_of), std::runtime_error);
}

TEST(DischargeModel, MissingInputsAreFlaggedNotUsed) {
  DischargeModel& m = trained();
  TimeSeries s = catchment();
  const Day as_of = parse_date("1987-08-01");
  const double full = forecast_as_of(m, s, as_of)[0].discharge;
  for (int64_t i = as_of - s.first - 20; i <= as_of - s.first; ++i)
    s.variables.at("tmax").values[size_t(i)] = NAN;
  const double gappy = forecast_as_of(m, s, as_of)[0].discharge;
  EXPECT_TRUE(std::isfinite(gappy));
  EXPECT_NE(gappy, full);
}

TEST(DischargeModel, MissingTargetsAreLeftOutOfTraining) {
  TimeSeries s = catchment(3);
  // 60% of the discharge record missing, whole months at a time.
  for (int64_t i = 0; i < s.length; ++i)
    if ((i / 30) % 5 < 3) s.variables.at("discharge").values[size_t(i)] = NAN;
  HydrologyConfig c = small_config("simulation");
  c.model.epochs = 2;
  const DischargeModel m = train_discharge_model(c, s, [](const EpochReport& r) {
    EXPECT_TRUE(std::isfinite(r.train_loss));
    EXPECT_TRUE(std::isfinite(r.validation_nse));
  });
  EXPECT_EQ(m.inputs, c.forcings);  // simulation reads no discharge
}

TEST(DischargeModel, PersistenceAndClimatologyAreScoredAsByHand) {
  DischargeModel& m = trained();
  const TimeSeries s = catchment();
  const Evaluation e = evaluate_discharge(m, s, m.config.test, "test");
  const std::vector<double>& q = s.at("discharge");
  // Lead 2 persistence: q(t) for q(t + 2), targets in 1987 with both observed.
  std::vector<double> sim, obs;
  for (Day t = m.config.test.first; t <= m.config.test.last; ++t) {
    const double now = q[size_t(t - 2 - s.first)], then = q[size_t(t - s.first)];
    if (std::isnan(now) || std::isnan(then)) continue;
    sim.push_back(now), obs.push_back(then);
  }
  const Scores& p = e.leads[1].methods.at("persistence");
  EXPECT_EQ(p.days, int64_t(obs.size()));
  EXPECT_NEAR(p.nse, nash_sutcliffe(sim, obs), 1e-12);
  EXPECT_NEAR(p.kge, kling_gupta(sim, obs).kge, 1e-12);
  // The band coverage at lead 1, counted here from the ensemble's own forecasts.
  std::vector<Day> issues;
  for (Day t = m.config.test.first - 1; t < m.config.test.last; ++t) issues.push_back(t);
  const DischargeForecast f = predict_discharge(m, s, issues);
  double inside = 0, scored = 0;
  for (size_t i = 0; i < issues.size(); ++i) {
    const double now = q[size_t(issues[i] - s.first)], then = q[size_t(issues[i] + 1 - s.first)];
    if (std::isnan(now) || std::isnan(then)) continue;
    scored += 1;
    inside += then >= f.quantile(i, 0, 0.1) && then <= f.quantile(i, 0, 0.9);
  }
  EXPECT_NEAR(e.leads[0].band_coverage, inside / scored, 1e-12);
  const nlohmann::json j = to_json(e);
  EXPECT_EQ(j.at("leads")[1].at("lead_days"), 2);
  EXPECT_NEAR(j.at("leads")[1].at("methods").at("persistence").at("nse").get<double>(), p.nse,
              1e-12);
  EXPECT_NE(to_markdown(e).find("| 2 | persistence |"), std::string::npos);
}

// GR4J's forecasts start from its state on the issue day and read no later data either.
TEST(Gr4jForecast, StartsFromTheIssueDayAndReadsNothingAfterIt) {
  HydrologyConfig c = small_config("forecasting");
  c.gr4j = {{"rain", "snow"}, "pet", {"tmin", "tmax"}, "snow", 0};
  const TimeSeries s = catchment();
  const ConceptualModel m{{320, 0.3, 80, 1.8}, {2.5, 0}, 0};
  const std::vector<Day> issues = {parse_date("1987-03-01"), parse_date("1987-05-20")};
  const std::vector<double> base = baseline_forecasts(m, c, s, issues);
  ASSERT_EQ(base.size(), 4u);
  TimeSeries later = s;
  for (auto& [name, v] : later.variables)
    for (int64_t i = issues[1] - s.first + 1; i < s.length; ++i) v.values[size_t(i)] = 50;
  EXPECT_EQ(baseline_forecasts(m, c, later, issues), base);
  // Day by day from the recorded state equals the whole run.
  const ConceptualForcing f = conceptual_forcing(c, s);
  std::vector<ConceptualState> states;
  const std::vector<double> stepped =
      run_conceptual_states(m, f, initial_conceptual_state(m), states);
  const std::vector<double> whole = run_conceptual(m, f);
  for (size_t i = 0; i < whole.size(); ++i) ASSERT_NEAR(stepped[i], whole[i], 1e-9) << i;
  // With no rain ahead the forecast recedes from the state's own discharge.
  EXPECT_LT(base[3], base[2] + 1e-9);
}

TEST(Scores, UndefinedScoresAreNaN) {
  const Scores s = skill_scores({1, 2, 3}, {2, 2, 2});  // observations without variance
  EXPECT_TRUE(std::isnan(s.nse));
  EXPECT_NEAR(s.percent_bias, 0, 1e-12);
  EXPECT_EQ(s.days, 3);
}

TEST(DischargeForecast, QuantilesInterpolateBetweenLevels) {
  const DischargeForecast f{{0}, {1}, {0.1, 0.5, 0.9}, {3}, {1, 3, 7}, 0, {}};
  EXPECT_DOUBLE_EQ(f.mean(0, 0), 3);
  EXPECT_DOUBLE_EQ(f.quantile(0, 0, 0.1), 1);
  EXPECT_DOUBLE_EQ(f.quantile(0, 0, 0.3), 2);
  EXPECT_DOUBLE_EQ(f.quantile(0, 0, 0.7), 5);
  EXPECT_DOUBLE_EQ(f.quantile(0, 0, 0.02), 1);  // outside the levels: the nearest
  EXPECT_DOUBLE_EQ(f.quantile(0, 0, 0.99), 7);
}

TEST(ForecastCsv, ConvertsToCubicMetresPerSecond) {
  const std::string csv = forecast_csv({{0, 1, 1, kDaily, 8.64, 4.32, 17.28}}, 100);
  EXPECT_EQ(csv,
            "issue_date,target_date,lead_days,discharge_mm_day,low_mm_day,high_mm_day,"
            "discharge_m3s,low_m3s,high_m3s\n"
            "1970-01-01,1970-01-02,1,8.6400,4.3200,17.2800,10.000,5.000,20.000\n");
  EXPECT_EQ(forecast_csv({}, 0),
            "issue_date,target_date,lead_days,discharge_mm_day,low_mm_day,high_mm_day\n");
}

}  // namespace
}  // namespace tessera::hydrology
