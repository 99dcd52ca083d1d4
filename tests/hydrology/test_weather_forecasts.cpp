// Weather forecasts as issued: the table, NetCDF and folder readers on files written here, the
// written table read back, merging, and the synthetic perfect and noisy forecasts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "error_of.hpp"
#include "forecast_files.hpp"
#include "temp_dir.hpp"
#include "tessera/hydrology/weather_forecasts.hpp"

namespace tessera::hydrology {
namespace {

using tessera::testing::error_of;

class Forecasts : public tessera::testing::TempDirTest {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path(name)).parent_path());
    std::ofstream(path(name)) << text;
    return path(name);
  }
};

Day d(const std::string& date) {
  return parse_date(date);
}

// Equal values, NaN where the other has NaN.
bool same(const std::vector<double>& a, const std::vector<double>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); });
}

TEST_F(Forecasts, WideTable) {
  const std::string f = write("wide.csv",
                              "issue_date,lead,rain,tmax\n"
                              "2001-01-01,1,0.5,3\n"
                              "2001-01-01,2,1.25,NA\n"
                              "2001-01-03,1,0,4.5\n"
                              "2001-01-03,3,7,-1\n");
  const WeatherForecasts w = read_forecast_table(f, {.units = {{"rain", "mm/day"}}});
  EXPECT_EQ(w.first_issue, d("2001-01-01"));
  EXPECT_EQ(w.issues, 3);
  EXPECT_EQ(w.max_lead, 3);
  EXPECT_EQ(w.at("rain", d("2001-01-01"), 2), 1.25);
  EXPECT_EQ(w.at("tmax", d("2001-01-03"), 3), -1);
  EXPECT_TRUE(std::isnan(w.at("tmax", d("2001-01-01"), 2)));  // NA
  EXPECT_TRUE(std::isnan(w.at("rain", d("2001-01-02"), 1)));  // no issue that day
  EXPECT_TRUE(std::isnan(w.at("rain", d("2001-01-01"), 3)));  // lead not issued
  EXPECT_TRUE(std::isnan(w.at("rain", d("2001-01-04"), 1)));  // outside
  EXPECT_TRUE(std::isnan(w.at("rain", d("2001-01-01"), 0)));
  EXPECT_EQ(w.variables.at("rain").units, "mm/day");
  EXPECT_EQ(w.variables.at("tmax").units, "");
  EXPECT_TRUE(w.has("rain"));
  EXPECT_FALSE(w.has("pet"));
  EXPECT_HAS(error_of([&] { w.at("pet", d("2001-01-01"), 1); }), "no variable 'pet'");
  // A mapping picks and renames columns.
  const WeatherForecasts one = read_forecast_table(f, {.columns = {{"p", "rain"}}});
  EXPECT_EQ(one.variables.size(), 1u);
  EXPECT_EQ(one.at("p", d("2001-01-03"), 3), 7);
}

TEST_F(Forecasts, LongTableSemicolons) {
  const std::string f = write("long.csv",
                              "Issue;Lead;Parameter;Value\n"
                              "2001-01-01;1;rain;0.5\n"
                              "2001-01-01;1;tmax;3\n"
                              "2001-01-02;2;rain;-999\n"
                              "2001-01-02;1;rain;2\n");
  const WeatherForecasts w = read_forecast_table(f, {.missing_values = {-999}});
  EXPECT_EQ(w.variables.size(), 2u);
  EXPECT_EQ(w.at("rain", d("2001-01-01"), 1), 0.5);
  EXPECT_EQ(w.at("tmax", d("2001-01-01"), 1), 3);
  EXPECT_EQ(w.at("rain", d("2001-01-02"), 1), 2);
  EXPECT_TRUE(std::isnan(w.at("rain", d("2001-01-02"), 2)));  // -999
  EXPECT_TRUE(std::isnan(w.at("tmax", d("2001-01-02"), 1)));  // not given
  // Only the variables asked for, under the names asked for.
  const WeatherForecasts rain = read_forecast_table(f, {.columns = {{"p", "rain"}}});
  EXPECT_EQ(rain.variables.size(), 1u);
  EXPECT_EQ(rain.at("p", d("2001-01-02"), 1), 2);
  EXPECT_HAS(error_of([&] {
               read_forecast_table(f, {.columns = {{"e", "pet"}}});
             }),
             "no variable 'pet' in column 'Parameter' (variables: ");
}

TEST_F(Forecasts, TargetDatesAndLeadsInHours) {
  const std::string target = write("target.csv",
                                   "issue_date,valid_date,rain\n"
                                   "2001-01-01,2001-01-02,1\n"
                                   "2001-01-01,2001-01-04,3\n");
  const WeatherForecasts w = read_forecast_table(target);
  EXPECT_EQ(w.max_lead, 3);
  EXPECT_EQ(w.at("rain", d("2001-01-01"), 3), 3);
  const std::string both = write("both.csv",
                                 "issue,lead,target,rain\n"
                                 "2001-01-01,1,2001-01-02,1\n"
                                 "2001-01-01,2,2001-01-04,3\n");
  EXPECT_HAS(error_of([&] { read_forecast_table(both); }),
             "both.csv:3: target date 2001-01-04 is not the issue date 2001-01-01 + lead 2");
  const std::string hours = write("hours.csv",
                                  "issue_date,lead_time,rain\n"
                                  "2001-01-01 00:00,24,1\n"
                                  "2001-01-01 00:00,48,2\n");
  EXPECT_EQ(read_forecast_table(hours, {.lead_units = "hours"}).at("rain", d("2001-01-01"), 2), 2);
  EXPECT_EQ(read_forecast_table(hours).max_lead, 48);  // days unless said otherwise
}

TEST_F(Forecasts, TableErrorsNameTheFileAndWhatIsWrong) {
  const auto table = [&](const std::string& rows) {
    return write("t.csv", "issue_date,lead,rain\n" + rows);
  };
  const auto read = [](const std::string& f) { read_forecast_table(f); };
  EXPECT_HAS(error_of([&] { read(path("none.csv")); }), "none.csv: file not found");
  EXPECT_HAS(error_of([&] { read(table("2001-01-01,1,wet\n")); }), "'wet' is not a number");
  EXPECT_HAS(error_of([&] { read(table("2001-01-01,0,1\n")); }),
             "t.csv: lead of 0 days (line 2): leads count the days after the issue day, from 1");
  EXPECT_HAS(error_of([&] { read(table("2001-01-01,1.5,1\n")); }),
             "lead of 1.5 days (line 2) is not a whole number of days");
  EXPECT_HAS(
      error_of([&] { read_forecast_table(table("2001-01-01,36,1\n"), {.lead_units = "h"}); }),
      "lead of 1.5 days");
  EXPECT_HAS(error_of([&] { read(table("2001-01-01,40000,1\n")); }), "is beyond 36600 days");
  EXPECT_HAS(error_of([&] { read(table("2001-01-01,1,1\n2001-01-02,1,1\n2001-01-01,1,2\n")); }),
             "'rain' issued on 2001-01-01 for lead 1 is given twice (line 2 and line 4)");
  EXPECT_HAS(error_of([&] { read(table("2001-01-01,1,1\n2001-13-01,1,1\n")); }), "t.csv:3:");
  EXPECT_HAS(error_of([&] { read(table("2001-01-01,1,1.25\n2001-01-02,1,1.2")); }),
             "looks cut short");
  EXPECT_HAS(error_of([&] { read(table("2001-01-01,1,1\n9999-01-01,1,1\n")); }),
             "is a date or lead far from the others?");
  EXPECT_HAS(error_of([&] {
               read_forecast_table(table("2001-01-01,1,1\n"), {.columns = {{"p", "precip"}}});
             }),
             "no column 'precip' for variable 'p'");
  EXPECT_HAS(error_of([&] {
               read_forecast_table(table("2001-01-01,1,1\n"), {.units = {{"pet", "mm"}}});
             }),
             "units given for 'pet', which is not read");
  EXPECT_HAS(error_of([&] { read(write("n.csv", "day,lead,rain\n2001-01-01,1,1\n")); }),
             "no issue-date column");
  EXPECT_HAS(error_of([&] { read(write("l.csv", "issue_date,rain\n2001-01-01,1\n")); }),
             "no lead column");
  EXPECT_HAS(error_of([&] { read(write("v.csv", "issue_date,lead,variable\n2001-01-01,1,a\n")); }),
             "no value column");
}

TEST_F(Forecasts, Netcdf) {
  using tessera::testing::forecast_precip;
  using tessera::testing::forecast_t2m_raw;
  for (const bool classic : {false, true}) {
    const std::string f = path("f.nc");
    tessera::testing::write_forecast_netcdf(f, {.classic = classic});
    const WeatherForecasts w = read_forecast_netcdf(f, {}, 1);
    EXPECT_EQ(w.first_issue, d("2000-01-01"));
    EXPECT_EQ(w.issues, 4);  // the 3rd is not issued
    EXPECT_EQ(w.max_lead, 2);
    EXPECT_EQ(w.variables.at("precip").units, "mm/day");
    EXPECT_EQ(w.variables.at("t2m").units, "K");
    const std::vector<Day> issues = {d("2000-01-01"), d("2000-01-02"), d("2000-01-04")};
    for (size_t i = 0; i < 3; ++i)
      for (size_t l = 0; l < 2; ++l) {
        const int64_t lead = int64_t(l) + 1;
        if (i == 1 && l == 0)
          EXPECT_TRUE(std::isnan(w.at("precip", issues[i], lead)));  // _FillValue
        else
          EXPECT_EQ(w.at("precip", issues[i], lead), forecast_precip(i, l, 1));
        EXPECT_NEAR(w.at("t2m", issues[i], lead), 0.1 * forecast_t2m_raw(i, l) + 273.15, 1e-9);
      }
    EXPECT_TRUE(std::isnan(w.at("precip", d("2000-01-03"), 1)));
    EXPECT_EQ(read_forecast_netcdf(f, {"precip"}).at("precip", issues[1], 1),
              forecast_precip(1, 0, 0));
    EXPECT_EQ(read_forecast_netcdf(f, {"precip"}).variables.size(), 1u);
  }
  const std::string named = path("named.nc");
  tessera::testing::write_forecast_netcdf(
      named, {.issues = {10, 11}, .leads = {1, 3}, .lead_units = "days", .standard_names = false});
  const WeatherForecasts w = read_forecast_netcdf(named, {"precip"});
  EXPECT_EQ(w.first_issue, d("2000-01-11"));
  EXPECT_EQ(w.max_lead, 3);
  EXPECT_EQ(w.at("precip", d("2000-01-12"), 3), forecast_precip(1, 1, 0));
  EXPECT_TRUE(std::isnan(w.at("precip", d("2000-01-12"), 2)));
}

TEST_F(Forecasts, NetcdfErrors) {
  const auto error = [&](const tessera::testing::ForecastNetcdf& spec,
                         const std::vector<std::string>& variables = {}, int64_t station = 0) {
    tessera::testing::write_forecast_netcdf(path("e.nc"), spec);
    return error_of([&] { read_forecast_netcdf(path("e.nc"), variables, station); });
  };
  EXPECT_HAS(error_of([&] { read_forecast_netcdf(path("none.nc")); }), "file not found");
  EXPECT_HAS(error({.issues = {0, 1, 1}}), "issue date 2000-01-02 given twice (indices 1 and 2)");
  EXPECT_HAS(error({.issues = {0, 2, 1}}), "issue dates out of order");
  EXPECT_HAS(error({.leads = {12, 24}}), "lead of 0.5 days (lead index 0)");
  EXPECT_HAS(error({.leads = {0, 24}}), "leads count the days after the issue day, from 1");
  EXPECT_HAS(error({.leads = {24, 24}}), "lead 1 days given twice");
  EXPECT_HAS(error({.lead_units = "hours since 2000-01-01"}), "not a duration");
  EXPECT_HAS(error({}, {"rain"}), "no variable 'rain' on the issue and lead dimensions");
  EXPECT_HAS(error({}, {"t2m"}, 1), "no variable read has a station dimension");
  EXPECT_HAS(error({}, {}, 2), "station 2 is out of range");
}

TEST_F(Forecasts, FolderOfIssueDays) {
  write("fc/gfs_2001-01-01.csv", "date,rain,tmax\n2001-01-02,1,5\n2001-01-03,2,6\n");
  write("fc/gfs_2001010300.csv",
        "date,rain,tmax\n2001-01-04,3,7\n2001-01-06,4,8\n2001-01-07,5,9\n");
  write("fc/README.md", "forecasts from the GFS\n");
  const WeatherForecasts w =
      read_forecast_folder(path("fc"), {.units = {{"rain", "mm/day"}, {"tmax", "degC"}}});
  EXPECT_EQ(w.first_issue, d("2001-01-01"));
  EXPECT_EQ(w.issues, 3);
  EXPECT_EQ(w.max_lead, 4);
  EXPECT_EQ(w.at("rain", d("2001-01-01"), 2), 2);
  EXPECT_EQ(w.at("tmax", d("2001-01-03"), 1), 7);
  EXPECT_TRUE(std::isnan(w.at("tmax", d("2001-01-03"), 2)));  // 5 January: a gap in the file
  EXPECT_EQ(w.at("tmax", d("2001-01-03"), 3), 8);
  EXPECT_EQ(w.variables.at("tmax").units, "degC");

  EXPECT_HAS(error_of([&] { read_forecast_folder(path("none")); }), "folder not found");
  write("same/a_20010101.csv", "date,rain\n2001-01-02,1\n");
  write("same/b_2001-01-01.csv", "date,rain\n2001-01-02,1\n");
  EXPECT_HAS(error_of([&] { read_forecast_folder(path("same")); }),
             "issue date 2001-01-01 is also that of");
  write("undated/latest.csv", "date,rain\n2001-01-02,1\n");
  EXPECT_HAS(error_of([&] { read_forecast_folder(path("undated")); }),
             "latest.csv: no issue date (YYYY-MM-DD or YYYYMMDD) in the file name");
  write("early/f_20010102.csv", "date,rain\n2001-01-02,1\n");
  EXPECT_HAS(error_of([&] { read_forecast_folder(path("early")); }),
             "target date 2001-01-02 is not after the issue date 2001-01-02");
  write("vars/f_20010101.csv", "date,rain\n2001-01-02,1\n");
  write("vars/f_20010102.csv", "date,rian\n2001-01-03,1\n");
  EXPECT_HAS(error_of([&] { read_forecast_folder(path("vars")); }),
             "f_20010102.csv: has variables rian where");
  write("bad/f_20010101.csv", "date,rain\n2001-01-02,x\n");
  EXPECT_HAS(error_of([&] { read_forecast_folder(path("bad")); }), "'x' is not a number");
}

// 2000 days of rain (every third day dry) and temperature (degC, below zero at times).
TimeSeries observed_weather() {
  TimeSeries s{d("2001-01-01"), 2000, {}};
  Variable rain{{}, "mm/day"}, temp{{}, "degC"};
  for (int64_t i = 0; i < s.length; ++i) {
    rain.values.push_back(i % 3 == 0 ? 0.0 : 1.0 + double(i % 17) / 7);
    temp.values.push_back(2 + 8 * std::sin(double(i) / 58));
  }
  rain.values[5] = std::numeric_limits<double>::quiet_NaN();
  s.variables = {{"rain", rain}, {"temp", temp}};
  return s;
}

TEST_F(Forecasts, PerfectForecastsAreTheObservations) {
  const TimeSeries obs = observed_weather();
  const WeatherForecasts p = perfect_forecasts(obs, {"rain"}, 3);
  EXPECT_EQ(p.first_issue, obs.first);
  EXPECT_EQ(p.issues, obs.length);
  EXPECT_EQ(p.variables.size(), 1u);
  EXPECT_EQ(p.variables.at("rain").units, "mm/day");
  for (Day issue = obs.first; issue <= obs.last(); ++issue)
    for (int64_t lead = 1; lead <= 3; ++lead) {
      const double o = value_on(obs.at("rain"), obs.first, issue + lead);
      if (std::isnan(o))
        EXPECT_TRUE(std::isnan(p.at("rain", issue, lead)));
      else
        EXPECT_EQ(p.at("rain", issue, lead), o);
    }
  EXPECT_TRUE(std::isnan(p.at("rain", obs.last(), 1)));  // beyond the observations
  EXPECT_EQ(perfect_forecasts(obs, {}, 1).variables.size(), 2u);
  EXPECT_HAS(error_of([&] { perfect_forecasts(obs, {"pet"}, 1); }), "no variable 'pet'");
  EXPECT_HAS(error_of([&] { perfect_forecasts(obs, {"rain"}, 0); }), "at least 1 day");
}

// Standard deviation of the errors at `lead`: log ratio for rain, difference for temperature.
double error_sd(const WeatherForecasts& noisy, const WeatherForecasts& perfect,
                const std::string& name, int64_t lead) {
  double sum = 0, sum2 = 0;
  int n = 0;
  for (Day issue = perfect.first_issue; issue <= perfect.last_issue(); ++issue) {
    const double x = noisy.at(name, issue, lead), o = perfect.at(name, issue, lead);
    if (std::isnan(o) || (name == "rain" && o == 0)) continue;
    const double e = name == "rain" ? std::log(x / o) : x - o;
    sum += e, sum2 += e * e, ++n;
  }
  return std::sqrt(sum2 / n - (sum / n) * (sum / n));
}

TEST_F(Forecasts, NoisyForecastErrorsGrowWithLead) {
  const TimeSeries obs = observed_weather();
  const ForecastNoise noise{.relative = 0.3, .temperature_degc = 1.0, .seed = 7};
  const WeatherForecasts n = noisy_forecasts(obs, {"rain", "temp"}, 3, noise);
  const WeatherForecasts p = perfect_forecasts(obs, {"rain", "temp"}, 3);
  for (const std::string& name : std::vector<std::string>{"rain", "temp"}) {
    const double sd1 = error_sd(n, p, name, 1), sd3 = error_sd(n, p, name, 3);
    const double expected = name == "rain" ? 0.3 : 1.0;
    EXPECT_GT(sd3, sd1) << name;
    EXPECT_NEAR(sd1, expected, 0.1 * expected) << name;
    EXPECT_NEAR(sd3, expected * std::sqrt(3.0), 0.1 * expected * std::sqrt(3.0)) << name;
  }
  // Rain stays rain: never negative, dry days stay dry, missing stays missing.
  int missing = 0, negative = 0, dry = 0, wetted = 0;
  for (Day issue = p.first_issue; issue <= p.last_issue(); ++issue)
    for (int64_t lead = 1; lead <= 3; ++lead) {
      const double o = p.at("rain", issue, lead), x = n.at("rain", issue, lead);
      missing += std::isnan(o) != std::isnan(x);
      negative += x < 0;
      dry += o == 0;
      wetted += o == 0 && x != 0;
    }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(negative, 0);
  EXPECT_GT(dry, 1000);
  EXPECT_EQ(wetted, 0);
  // The same seed gives the same values, on any range of observations; another seed others.
  const WeatherForecasts again = noisy_forecasts(obs, {"rain", "temp"}, 3, noise);
  EXPECT_TRUE(same(again.variables.at("rain").values, n.variables.at("rain").values));
  EXPECT_TRUE(same(again.variables.at("temp").values, n.variables.at("temp").values));
  const TimeSeries part = slice(obs, obs.first + 300, obs.first + 500);
  const WeatherForecasts sliced = noisy_forecasts(part, {"temp"}, 3, noise);
  EXPECT_EQ(sliced.at("temp", obs.first + 400, 2), n.at("temp", obs.first + 400, 2));
  ForecastNoise other = noise;
  other.seed = 8;
  EXPECT_NE(noisy_forecasts(obs, {"temp"}, 3, other).at("temp", obs.first, 1),
            n.at("temp", obs.first, 1));
}

TEST_F(Forecasts, NoisyForecastsRefuseWhatTheyCannotPerturb) {
  TimeSeries obs = observed_weather();
  obs.variables.at("temp").units = "";  // no longer known to be a temperature
  EXPECT_HAS(error_of([&] { noisy_forecasts(obs, {"temp"}, 2, {.seed = 1}); }),
             "name it in temperature_variables");
  EXPECT_NO_THROW(noisy_forecasts(obs, {"temp"}, 2, {.temperature_variables = {"temp"}}));
  EXPECT_HAS(
      error_of([&] { noisy_forecasts(obs, {"rain"}, 2, {.temperature_variables = {"tmp"}}); }),
      "temperature variable 'tmp' is not among");
  EXPECT_HAS(error_of([&] { noisy_forecasts(obs, {"rain"}, 2, {.relative = -1}); }),
             "must be zero or more");
}

TEST_F(Forecasts, WrittenTableReadsBackExactly) {
  const TimeSeries obs = observed_weather();
  WeatherForecasts f = noisy_forecasts(obs, {"rain", "temp"}, 4, {.seed = 3});
  write_forecast_table(path("out.csv"), f);
  EXPECT_EQ(files_in_dir(), 1u);  // no temporary left behind
  const WeatherForecasts back = read_forecast_table(path("out.csv"));
  EXPECT_EQ(back.max_lead, 4);
  for (const std::string& name : std::vector<std::string>{"rain", "temp"})
    for (Day issue = f.first_issue; issue <= f.last_issue(); ++issue)
      for (int64_t lead = 1; lead <= 4; ++lead) {
        const double x = f.at(name, issue, lead), y = back.at(name, issue, lead);
        if (std::isnan(x))
          EXPECT_TRUE(std::isnan(y));
        else
          EXPECT_EQ(x, y) << name << " " << format_date(issue) << " lead " << lead;
      }
  EXPECT_HAS(error_of([&] { write_forecast_table(path("empty.csv"), WeatherForecasts{}); }),
             "no variables");
}

TEST_F(Forecasts, MergeTakesTheUnion) {
  WeatherForecasts a =
      read_forecast_table(write("a.csv", "issue_date,lead,rain\n2001-01-02,1,1\n2001-01-03,2,2\n"));
  const WeatherForecasts b =
      read_forecast_table(write("b.csv", "issue_date,lead,tmax\n2001-01-01,3,5\n2001-01-02,1,6\n"));
  merge_into(a, b);
  EXPECT_EQ(a.first_issue, d("2001-01-01"));
  EXPECT_EQ(a.issues, 3);
  EXPECT_EQ(a.max_lead, 3);
  EXPECT_EQ(a.at("rain", d("2001-01-02"), 1), 1);
  EXPECT_EQ(a.at("rain", d("2001-01-03"), 2), 2);
  EXPECT_EQ(a.at("tmax", d("2001-01-01"), 3), 5);
  EXPECT_EQ(a.at("tmax", d("2001-01-02"), 1), 6);
  EXPECT_TRUE(std::isnan(a.at("rain", d("2001-01-01"), 3)));
  EXPECT_TRUE(std::isnan(a.at("tmax", d("2001-01-03"), 2)));
  EXPECT_HAS(error_of([&] { merge_into(a, b); }), "both weather forecasts have a variable 'tmax'");
  WeatherForecasts empty;
  merge_into(empty, b);
  EXPECT_EQ(empty.first_issue, b.first_issue);
  EXPECT_TRUE(same(empty.variables.at("tmax").values, b.variables.at("tmax").values));
}

}  // namespace
}  // namespace tessera::hydrology
