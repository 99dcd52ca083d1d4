// Sub-daily time steps: steps and their text, resampling by hand (5-minute gauges to hours,
// depths per record to rates, daily evaporation held over its hours), GR4H's one step by hand,
// and the config's hourly rules.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/data/hourly_catchment.hpp"
#include "tessera/hydrology/conceptual.hpp"
#include "tessera/hydrology/config.hpp"
#include "tessera/hydrology/gr4j.hpp"
#include "tessera/hydrology/readers.hpp"
#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {
namespace {

using tessera::testing::error_of;
using tessera::testing::TempDirTest;

const TimeStep kHour{3600}, kFiveMinutes{300};

TEST(TimeStep, ParsesDivisorsOfADayOnly) {
  EXPECT_EQ(parse_time_step("1d").seconds, 86400);
  EXPECT_EQ(parse_time_step("24h").seconds, 86400);
  EXPECT_EQ(parse_time_step("1h").seconds, 3600);
  EXPECT_EQ(parse_time_step("15min").seconds, 900);
  EXPECT_EQ(parse_time_step("300s").seconds, 300);
  EXPECT_EQ(format_time_step(TimeStep{900}), "15min");
  EXPECT_EQ(format_time_step(kHour), "1h");
  EXPECT_EQ(format_time_step(kDaily), "1d");
  EXPECT_HAS(error_of([] { parse_time_step("7h"); }), "does not divide a day");
  EXPECT_HAS(error_of([] { parse_time_step("2d"); }), "does not divide a day");
  EXPECT_HAS(error_of([] { parse_time_step("hourly"); }), "not a time step");
  EXPECT_HAS(error_of([] { parse_time_step("0h"); }), "not a time step");
}

TEST(TimeStep, StepsAndTheirText) {
  const Day day = parse_date("2000-03-01");
  const Step first = first_step_of(day, kHour);
  EXPECT_EQ(first, day * 24);
  EXPECT_EQ(day_of_step(first + 23, kHour), day);
  EXPECT_EQ(day_of_step(first - 1, kHour), day - 1);
  EXPECT_EQ(format_step(first + 14, kHour), "2000-03-01 14:00");
  EXPECT_EQ(format_step(day, kDaily), "2000-03-01");
  EXPECT_EQ(parse_step("2000-03-01 14:00", kHour), first + 14);
  EXPECT_EQ(parse_step("2000-03-01T14:59:59Z", kHour), first + 14);  // the step holding it
  EXPECT_EQ(parse_step("2000-03-01", kHour), first);
  EXPECT_EQ(parse_step("2000-03-01", kHour, true), first + 23);  // a date's whole day
  EXPECT_EQ(parse_step("2000-03-01", kDaily, true), day);
  // Before 1970 the steps are negative and still floor to their day.
  EXPECT_EQ(format_step(parse_step("1969-12-31 23:00", kHour), kHour), "1969-12-31 23:00");
  EXPECT_HAS(error_of([] { parse_step("2000-03-01 25:00", kHour); }), "not a date and time");
  EXPECT_HAS(error_of([] { parse_step("2000-03-01 14:7", kHour); }), "not a date and time");
  EXPECT_HAS(error_of([] { parse_step("2000-03-01 01:-5", kHour); }), "not a date and time");
  EXPECT_EQ(parse_step("2000-03-01 14:00:59.750", TimeStep{60}), (first + 14) * 60);
  EXPECT_EQ(steps_in_days(365, kHour), 365 * 24);
  EXPECT_EQ(steps_in_unit(2, kDaily), "2");            // days
  EXPECT_EQ(steps_in_unit(12, kHour), "12");           // hours
  EXPECT_EQ(steps_in_unit(3, TimeStep{900}), "0.75");  // hours
}

TimeSeries one(Step first, TimeStep step, std::vector<double> values,
               const std::string& units = "m3/s") {
  TimeSeries s{first, int64_t(values.size()), {}, step};
  s.variables["q"] = {std::move(values), units};
  return s;
}

TEST(Resample, FiveMinutesToHoursByHand) {
  // Two hours of 5-minute readings starting at 01:00; the second hour keeps only 5 of 12.
  std::vector<double> q(24);
  for (int k = 0; k < 12; ++k) q[size_t(k)] = k;  // mean 5.5
  for (int k = 12; k < 24; ++k) q[size_t(k)] = k < 17 ? 100 : NAN;
  const TimeSeries hourly = resample(one(12 * 1, kFiveMinutes, q), kHour);
  EXPECT_EQ(hourly.step, kHour);
  EXPECT_EQ(hourly.first, 1);
  ASSERT_EQ(hourly.length, 2);
  EXPECT_DOUBLE_EQ(hourly.at("q")[0], 5.5);
  EXPECT_TRUE(std::isnan(hourly.at("q")[1]));  // fewer than half the readings
  // Six of twelve are enough.
  q[17] = 100;
  EXPECT_DOUBLE_EQ(resample(one(12, kFiveMinutes, q), kHour).at("q")[1], 100);
}

TEST(Resample, AnUnalignedStartFillsItsStepFromWhereItBegins) {
  // Readings from 00:50: the hour of 00:00 holds two of them (not enough), the next hour twelve.
  std::vector<double> q(14, 2.0);
  const TimeSeries hourly = resample(one(10, kFiveMinutes, q), kHour);
  EXPECT_EQ(hourly.first, 0);
  EXPECT_TRUE(std::isnan(hourly.at("q")[0]));
  EXPECT_DOUBLE_EQ(hourly.at("q")[1], 2.0);
}

TEST(Resample, DailyValuesAreHeldOverTheirHours) {
  const TimeSeries hourly = resample(one(100, kDaily, {2.5, 4}, "mm/day"), kHour);
  ASSERT_EQ(hourly.length, 48);
  EXPECT_EQ(hourly.first, 100 * 24);
  EXPECT_DOUBLE_EQ(hourly.at("q")[0], 2.5);
  EXPECT_DOUBLE_EQ(hourly.at("q")[23], 2.5);
  EXPECT_DOUBLE_EQ(hourly.at("q")[24], 4);
  EXPECT_EQ(hourly.variable("q").units, "mm/day");
  // And back: the mean of a day's hours is the day.
  EXPECT_DOUBLE_EQ(resample(hourly, kDaily).at("q")[1], 4);
}

TEST(Resample, StepsThatDoNotNestAndMixedMergesAreRefused) {
  EXPECT_HAS(error_of([] {
               resample(one(0, TimeStep{2700}, {1, 2}), kHour);
             }),
             "neither is a multiple");
  TimeSeries a = one(0, kHour, {1, 2});
  TimeSeries b = one(0, kDaily, {1});
  b.variables["p"] = b.variables["q"];
  b.variables.erase("q");
  EXPECT_HAS(error_of([&] { merge_into(a, b); }), "resample one first");
}

class SubDailyCsv : public TempDirTest {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(path(name)) << text;
    return path(name);
  }
};

TEST_F(SubDailyCsv, GaugeAndRainDepthsResampleToHourlyRates) {
  // Rain as mm per 5-minute record: 0.5 mm in each of the 12 records of 10:00 is 6 mm in the
  // hour, 144 mm/day as a rate; the gauge averages.
  std::string text = "date,rain,q\n";
  for (int k = 0; k < 24; ++k) {
    char row[64];
    std::snprintf(row, sizeof row, "2001-05-02 %02d:%02d,%g,%d\n", 10 + k / 12, (k % 12) * 5,
                  k < 12 ? 0.5 : 0.0, k);
    text += row;
  }
  const TimeSeries raw =
      read_csv_series(write("g.csv", text), {.units = {{"rain", "mm"}, {"q", "m3/s"}}});
  EXPECT_EQ(raw.step, kFiveMinutes);
  EXPECT_EQ(raw.variable("rain").units, "mm/day");
  EXPECT_DOUBLE_EQ(raw.at("rain")[0], 0.5 * 288);
  const TimeSeries hourly = resample(raw, kHour);
  EXPECT_EQ(format_step(hourly.first, kHour), "2001-05-02 10:00");
  ASSERT_EQ(hourly.length, 2);
  EXPECT_DOUBLE_EQ(hourly.at("rain")[0], 144);  // 6 mm in the hour
  EXPECT_DOUBLE_EQ(hourly.at("rain")[1], 0);
  EXPECT_DOUBLE_EQ(hourly.at("q")[0], 5.5);
  EXPECT_DOUBLE_EQ(hourly.at("q")[1], 17.5);
  EXPECT_EQ(hourly.variable("q").units, "m3/s");
}

TEST_F(SubDailyCsv, DailyReadingsAtWanderingHoursStayDaily) {
  const TimeSeries s = read_csv_series(
      write("w.csv", "date,q\n2001-01-01 07:30,1\n2001-01-02 08:10,2\n2001-01-03 07:05,3\n"));
  EXPECT_EQ(s.step, kDaily);
  EXPECT_EQ(format_step(s.first, s.step), "2001-01-01");
  EXPECT_EQ(s.at("q"), (std::vector<double>{1, 2, 3}));
}

TEST_F(SubDailyCsv, IrregularOrMonthlyRecordsAreRefused) {
  const std::string uneven =
      write("u.csv", "date,q\n2001-01-01 00:00,1\n2001-01-01 00:07,1\n2001-01-01 00:14,1\n");
  EXPECT_HAS(error_of([&] { read_csv_series(uneven); }), "do not divide a day");
  const std::string twice = write("t.csv",
                                  "date,q\n2001-01-01 00:00,1\n2001-01-01 01:00,1\n"
                                  "2001-01-01 01:30,1\n2001-01-01 02:00,1\n2001-01-01 03:00,1\n"
                                  "2001-01-01 04:00,1\n2001-01-01 05:00,1\n");
  EXPECT_HAS(error_of([&] { read_csv_series(twice); }), "two records in the step of");
}

TEST(Gr4h, OneStepByHand) {
  // No rain nor evaporation: the production store (30% of x1 full) only percolates, by
  // GR4H's constant 21/4; the unit hydrographs of exponent 1.25 send the first step's share.
  const Gr4jParams p{100, 0, 50, 4, true};
  const Gr4jRun r = run_gr4j(p, {0}, {0});
  const double s = 30, perc = s * (1 - std::pow(1 + std::pow(s / (5.25 * 100), 4), -0.25));
  EXPECT_NEAR(r.end.production, s - perc, 1e-12);
  const double first_share = std::pow(1.0 / 4, 1.25);  // UH1 ordinate 1: (1/x4)^1.25
  // The routing store (half full) gains UH1's first outflow, then drains by its own rule.
  const double routed = 25 + 0.9 * perc * first_share;
  const double qr = routed * (1 - std::pow(1 + std::pow(routed / 50, 4), -0.25));
  const double qd = 0.1 * perc * 0.5 * std::pow(1.0 / 4, 1.25);  // UH2: half the S-curve
  EXPECT_NEAR(r.discharge[0], qr + qd, 1e-12);
  // GR4J's constant 9/4 percolates more from the same store.
  const Gr4jRun daily = run_gr4j({100, 0, 50, 4}, {0}, {0});
  EXPECT_LT(daily.end.production, r.end.production);
}

TEST(Gr4h, CalibrationRecoversAKnownHourlyCatchment) {
  const data::HourlyCatchment c = data::make_hourly_catchment({.years = 1, .noise = 0});
  ConceptualForcing f{.first = c.weather.first, .step = kHour};
  for (double r : c.weather.at("rain")) f.precipitation.push_back(r * 24);  // mm/h -> mm/day
  for (int64_t h = 0; h < c.weather.length; ++h)
    f.evaporation.push_back(c.evaporation.at("pet")[size_t(h / 24)]);
  const TimeSeries q = resample(c.gauge, kHour);
  std::vector<double> observed = q.at("discharge");
  for (double& x : observed) x *= 86.4 / 120;  // m3/s over 120 km2 in mm/day
  const ConceptualModel m =
      calibrate_conceptual(f, observed, {.warmup = 24 * 60, .evaluations = 400});
  EXPECT_TRUE(m.gr4j.hourly);
  EXPECT_GT(m.nse, 0.97);
  EXPECT_NEAR(m.gr4j.x4, 9, 2);  // hours
  // A daily forcing cannot run an hourly model, nor snow an hourly one.
  ConceptualForcing daily = f;
  daily.step = kDaily;
  EXPECT_HAS(error_of([&] { run_conceptual(m, daily); }), "GR4H (hourly) model run on steps of 1d");
  ConceptualForcing snowy = f;
  snowy.temperature.assign(f.precipitation.size(), 0.0);
  EXPECT_HAS(error_of([&] { run_conceptual(m, snowy); }), "snow routines run on daily steps");
}

class HourlyConfig : public TempDirTest {
 protected:
  std::string error_of(const std::string& text) {
    std::ofstream(path("c.yaml")) << text;
    return tessera::testing::error_of([&] { read_config(path("c.yaml")); });
  }
  HydrologyConfig read(const std::string& text) {
    std::ofstream(path("c.yaml")) << text;
    return read_config(path("c.yaml"));
  }
};

const std::string kHourly = R"(time_step: 1h
inputs: [{csv: gauge.csv}]
discharge: q
forcings: [rain]
periods:
  train: [2000-01-01, 2000-12-31]
  validation: [2001-01-01 06:00, 2001-03-31]
  test: [2001-04-01, 2001-06-30]
lead_times: [1, 6, 48]
)";

TEST_F(HourlyConfig, PeriodsLeadsAndWindowsAreInHours) {
  const HydrologyConfig c = read(kHourly);
  EXPECT_EQ(c.time_step, kHour);
  EXPECT_EQ(format_step(c.train.first, kHour), "2000-01-01 00:00");
  EXPECT_EQ(format_step(c.train.last, kHour), "2000-12-31 23:00");
  EXPECT_EQ(format_step(c.validation.first, kHour), "2001-01-01 06:00");
  EXPECT_EQ(c.lead_times, (std::vector<int64_t>{1, 6, 48}));
  EXPECT_EQ(c.model.sequence_length, 336);  // two weeks of hours unless set
  EXPECT_EQ(read("time_step: 1d\n" + kHourly.substr(kHourly.find('\n') + 1)).model.sequence_length,
            365);
}

TEST_F(HourlyConfig, WhatHourlyStepsCannotDoIsNamed) {
  EXPECT_HAS(error_of("time_step: 7h\n" + kHourly.substr(kHourly.find('\n') + 1)),
             "time_step: time step '7h' does not divide a day");
  EXPECT_HAS(error_of(kHourly + "gr4j: {precipitation: [rain], evaporation: pet, temperature: "
                                "[t], snow: cemaneige}\n"),
             "the snow routines run on daily steps");
  const std::string quarter = "time_step: 15min\n" + kHourly.substr(kHourly.find('\n') + 1);
  EXPECT_HAS(error_of(quarter + "gr4j: {precipitation: [rain], evaporation: pet}\n"),
             "GR4J runs on daily steps and GR4H on hourly ones");
  EXPECT_HAS(error_of(kHourly + "forecasts: {variables: [rain], csv: f.csv}\n"), "only a hindcast");
  const std::string long_lead =
      std::string(kHourly).replace(kHourly.find("[1, 6, 48]"), 10, "[1, 9000]");
  EXPECT_HAS(error_of(long_lead), "must be steps of 1h ahead, 1 to 8784");
}

}  // namespace
}  // namespace tessera::hydrology
