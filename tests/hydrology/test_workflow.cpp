// The hydrology workflows end to end on a folder as synth writes it: its config trains (with the
// GR4J baseline in the model), evaluates and forecasts; a config of another model and a bad
// issue day are refused, named by their settings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

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

class HydrologyWorkflow : public tessera::testing::TempDirTest {
 protected:
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
  EXPECT_EQ(load_inputs(c).days, f.last - f.first + 1);
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

  const ForecastReport f = forecast_to_files({.model = path("m.h5"),
                                              .as_of = "1983-06-01",
                                              .output = path("f.csv"),
                                              .plot = path("f.png")});
  EXPECT_HAS(f.csv, "1983-06-01,1983-06-04,3,");
  EXPECT_TRUE(fs::exists(path("f.csv")));
  EXPECT_TRUE(fs::exists(path("f.png")));

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

}  // namespace
}  // namespace tessera::hydrology
