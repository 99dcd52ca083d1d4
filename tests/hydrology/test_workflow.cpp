// The hydrology workflows end to end on a folder as synth writes it: its config trains (with the
// GR4J baseline in the model), evaluates and forecasts; a config of another model and a bad
// issue day are refused, named by their settings.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/data/catchment_folder.hpp"
#include "tessera/hydrology/config.hpp"
#include "tessera/hydrology/workflow.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::hydrology {
namespace {

namespace fs = std::filesystem;
using tessera::testing::error_of;
using tessera::testing::setting_of;

std::vector<std::string> lines_of(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class HydrologyWorkflow : public tessera::testing::TempDirTest {
 protected:
  // A copy of the config's folder whose discharge is missing from `from` on.
  std::string stale_copy(const std::string& config, const std::string& from) {
    const fs::path dir = fs::path(config).parent_path();
    std::vector<std::string> rows = lines_of((dir / "catchment.csv").string());
    const auto cells = [](const std::string& row) {
      std::vector<std::string> out;
      std::stringstream in(row);
      for (std::string cell; std::getline(in, cell, ',');) out.push_back(cell);
      return out;
    };
    const std::vector<std::string> header = cells(rows[0]);
    const size_t q = size_t(std::find(header.begin(), header.end(), "discharge") - header.begin());
    for (size_t i = 1; i < rows.size(); ++i) {
      if (rows[i].substr(0, 10) < from) continue;
      std::vector<std::string> c = cells(rows[i]);
      c.resize(header.size());
      c[q] = "";
      rows[i] = c[0];
      for (size_t k = 1; k < c.size(); ++k) rows[i] += "," + c[k];
    }
    std::ofstream out(dir / "stale.csv");
    for (const std::string& r : rows) out << r << "\n";
    std::ifstream in(config);
    std::stringstream text;
    text << in.rdbuf();
    std::ofstream((dir / "stale.yaml").string())
        << std::regex_replace(text.str(), std::regex("catchment\\.csv"), "stale.csv");
    return (dir / "stale.yaml").string();
  }

  // A generated folder whose config trains a tiny model quickly.
  std::string small_catchment(const std::string& folder, const std::string& mode) {
    const data::CatchmentFiles f = data::write_catchment_folder(
        {.folder = path(folder), .catchment = {.years = 4}, .mode = mode});
    std::ifstream in(f.config);
    std::stringstream text;
    text << in.rdbuf();
    const std::string small = std::regex_replace(
        text.str(), std::regex("model: [^\n]*"),
        "model: {sequence_length: 30, hidden: 4, ensemble: 2, epochs: 2, samples_per_epoch: 64, "
        "batch: 32}");
    std::ofstream(f.config) << small;
    return f.config;
  }
};

TEST_F(HydrologyWorkflow, SynthFolderHoldsTheSeriesAndAConfigThatReads) {
  const data::CatchmentFiles f =
      data::write_catchment_folder({.folder = path("c"), .catchment = {.years = 5}});
  EXPECT_EQ(format_date(f.first), "1980-01-01");
  EXPECT_EQ(f.last - f.first + 1, int64_t(5 * 365.25));  // as make_catchment counts years
  const HydrologyConfig c = read_config(f.config);
  EXPECT_EQ(format_date(c.train.last), "1982-12-31");
  EXPECT_EQ(c.test.last, f.last);
  EXPECT_EQ(c.lead_times, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(load_inputs(c).length, f.last - f.first + 1);
  EXPECT_EQ(setting_of([&] { data::write_catchment_folder({.folder = path("d"), .mode = "x"}); }),
            "mode");
}

TEST_F(HydrologyWorkflow, TrainEvaluateAndForecastFromAConfig) {
  const std::string config = small_catchment("c", "forecasting");
  std::ostringstream log;
  const DischargeModel m =
      train_from_config({.config = config, .output = path("m.h5"), .gr4j_runs = 20, .log = &log});
  EXPECT_TRUE(m.baseline.has_value());
  EXPECT_HAS(log.str(), "data 1980-01-01 to 1983-12-31 (1461 days)");
  EXPECT_HAS(log.str(), "GR4J + snow calibrated on 1980-01-01 to 1981-12-31: NSE ");
  EXPECT_HAS(log.str(), "training 2 LSTMs (hidden 4, 30-day windows)");
  EXPECT_HAS(log.str(), "  epoch 2  loss ");

  const EvaluationReport e = evaluate_to_files({.model = path("m.h5"), .output = path("s.json")});
  EXPECT_EQ(e.markdown_path, path("s.md"));
  EXPECT_HAS(e.markdown, "| 1 | gr4j |");
  EXPECT_TRUE(fs::exists(path("s.json")));
  // Beside the scores: the test period's hydrograph and its values day by day, every lead.
  EXPECT_EQ(e.plot_path, path("s.png"));
  EXPECT_GT(fs::file_size(path("s.png")), 1000u);
  EXPECT_EQ(e.series_path, path("s.csv"));
  const std::vector<std::string> rows = lines_of(path("s.csv"));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0],
            "date,lead_days,observed_mm_day,network_mm_day,low_mm_day,high_mm_day,gr4j_mm_day,"
            "persistence_mm_day,climatology_mm_day");
  EXPECT_EQ(rows.size(), 1 + 365 * 3u);  // the test year 1983, leads 1 to 3
  EXPECT_EQ(rows[1].substr(0, 13), "1983-01-01,1,");
  EXPECT_EQ(rows.back().substr(0, 13), "1983-12-31,3,");

  const ForecastReport f = forecast_to_files({.model = path("m.h5"),
                                              .as_of = "1983-06-01",
                                              .output = path("f.csv"),
                                              .plot = path("f.png")});
  EXPECT_HAS(f.csv, "1983-06-01,1983-06-04,3,");
  EXPECT_TRUE(fs::exists(path("f.csv")));
  EXPECT_TRUE(fs::exists(path("f.png")));

  // Discharge last observed 152 days before the issue day: the state is too old to forecast
  // from unless allowed, and said loudly when allowed.
  const std::string stale = stale_copy(config, "1983-01-01");
  EXPECT_EQ(setting_of([&] {
              forecast_to_files({.model = path("m.h5"),
                                 .config = stale,
                                 .as_of = "1983-06-01",
                                 .output = path("stale.csv")});
            }),
            "max_stale_days");
  EXPECT_HAS(error_of([&] {
               forecast_to_files({.model = path("m.h5"),
                                  .config = stale,
                                  .as_of = "1983-06-01",
                                  .output = path("stale.csv")});
             }),
             "is from 1982-12-31, 152 days before the issue day 1983-06-01");
  EXPECT_FALSE(fs::exists(path("stale.csv")));
  std::ostringstream warnings;
  forecast_to_files({.model = path("m.h5"),
                     .config = stale,
                     .as_of = "1983-06-01",
                     .output = path("stale.csv"),
                     .max_stale_days = 200,
                     .warnings = &warnings});
  EXPECT_HAS(warnings.str(), "warning: the last observed discharge 'discharge' is from 1982-12-31");
  EXPECT_HAS(warnings.str(), "a state 152 days old");

  // A config of another model, and a day that does not exist: refused before any output.
  const std::string other = small_catchment("other", "simulation");
  EXPECT_EQ(setting_of([&] { load_model_with_config(path("m.h5"), other); }), "config");
  EXPECT_HAS(error_of([&] { load_model_with_config(path("m.h5"), other); }),
             "its mode differs from the model's");
  EXPECT_EQ(setting_of([&] {
              forecast_to_files(
                  {.model = path("m.h5"), .as_of = "1983-02-30", .output = path("bad.csv")});
            }),
            "as_of");
  EXPECT_FALSE(fs::exists(path("bad.csv")));
}

// A small catchment's hourly weather, daily evaporation and 5-minute gauge: resampled to hours
// on reading, GR4H beside the network, leads and scores in hours, a forecast issued at an hour
// that reads nothing after it.
TEST_F(HydrologyWorkflow, HourlyStepsFromFiveMinuteGaugesToHourlyForecasts) {
  const data::CatchmentFiles files = data::write_catchment_folder(
      {.folder = path("h"), .catchment = {.years = 4}, .time_step = "1h"});
  std::ifstream in(files.config);
  std::stringstream text;
  text << in.rdbuf();
  std::ofstream(files.config) << std::regex_replace(
      text.str(), std::regex("model: [^\n]*"),
      "model: {sequence_length: 24, hidden: 4, ensemble: 1, epochs: 1, samples_per_epoch: 64, "
      "batch: 32}");
  std::ostringstream log;
  train_from_config(
      {.config = files.config, .output = path("h.h5"), .gr4j_runs = 100, .log = &log});
  EXPECT_HAS(log.str(), "data 2000-01-01 00:00 to 2003-12-31 23:00 (35064 steps of 1h)");
  EXPECT_HAS(log.str(), "GR4H calibrated on 2000-01-01 00:00 to 2001-12-31 23:00: NSE ");
  EXPECT_HAS(log.str(), "24-hour windows");
  EXPECT_HAS(log.str(), "lead times of 1, 3, 6, 12 hours");

  const EvaluationReport e = evaluate_to_files({.model = path("h.h5"), .output = path("e.json")});
  EXPECT_HAS(e.markdown, "| lead (hours) | method |");
  EXPECT_HAS(e.markdown, "| 12 | gr4j |");
  EXPECT_HAS(e.markdown, "Peak timing error (hours between observed and predicted peaks");
  std::ifstream scores(path("e.json"));
  const nlohmann::json j = nlohmann::json::parse(scores);
  EXPECT_EQ(j.at("time_step"), "1h");
  EXPECT_EQ(j.at("first_day"), "2002-07-01 00:00");
  EXPECT_EQ(j.at("leads").at(3).at("lead_hours"), 12);
  EXPECT_TRUE(j.at("leads").at(0).at("peak_timing_hours").contains("network"));
  EXPECT_EQ(lines_of(path("e.csv")).at(1).substr(0, 19), "2002-07-01 00:00,1,");

  const ForecastReport f = forecast_to_files({.model = path("h.h5"),
                                              .as_of = "2003-06-10 14:00",
                                              .output = path("f.csv"),
                                              .pi_xml = path("f.xml")});
  const std::vector<std::string> rows = lines_of(path("f.csv"));
  EXPECT_EQ(rows.at(0).substr(0, 32), "issue_date,target_date,lead_hour");
  EXPECT_EQ(rows.at(4).substr(0, 37), "2003-06-10 14:00,2003-06-11 02:00,12,");
  EXPECT_EQ(read_pi_timeseries(path("f.xml")).front().step_seconds, 3600);

  // The same files read daily are another model's data.
  std::ifstream hourly(files.config);
  std::stringstream daily;
  daily << hourly.rdbuf();
  std::ofstream(path("h/daily.yaml"))
      << std::regex_replace(daily.str(), std::regex("time_step: 1h"), "time_step: 1d");
  EXPECT_HAS(error_of([&] { load_model_with_config(path("h.h5"), path("h/daily.yaml")); }),
             "its time_step differs from the model's");

  // The leakage rule on hours: everything after the issue hour may change, the forecast not.
  DischargeModel m = load_model_with_config(path("h.h5"), "");
  const TimeSeries s = load_inputs(m.config, DataUse::forecast);
  const Step as_of = parse_step("2003-06-10 14:00", s.step);
  TimeSeries later = s;
  for (auto& [name, v] : later.variables)
    for (Step t = as_of + 1; t <= later.last(); ++t) v.values[size_t(t - later.first)] *= 3;
  const std::vector<ForecastRow> base = forecast_as_of(m, s, as_of);
  const std::vector<ForecastRow> again = forecast_as_of(m, later, as_of);
  ASSERT_EQ(base.size(), 4u);
  for (size_t k = 0; k < base.size(); ++k) {
    EXPECT_EQ(base[k].target, as_of + m.config.lead_times[k]);
    EXPECT_EQ(base[k].discharge, again[k].discharge);
    EXPECT_EQ(base[k].quantiles, again[k].quantiles);
  }
  // The issue hour's own data does count.
  TimeSeries now = s;
  now.variables.at("discharge").values[size_t(as_of - now.first)] *= 3;
  EXPECT_NE(forecast_as_of(m, now, as_of)[0].discharge, base[0].discharge);
}

}  // namespace
}  // namespace tessera::hydrology
