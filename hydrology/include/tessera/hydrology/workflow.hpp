#pragma once
// The hydrology workflows as `tessera hydrology` runs them, from a config and a model file to
// reports: train the discharge model with its GR4J baseline, score it per lead time, issue a
// forecast as of a day. Lines about the data and the training go to the `log` stream a caller
// gives (none by default), warnings to `warnings`; bad settings throw SettingError naming the
// field.
//
//   train_from_config({.config = "catchment.yaml", .output = "model.h5", .log = &std::cout});
//   ForecastReport f = forecast_to_files({.model = "model.h5", .as_of = "2005-06-01",
//                                         .output = "forecast.csv"});
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "tessera/formats/line_plot.hpp"
#include "tessera/hydrology/discharge_model.hpp"
#include "tessera/hydrology/evaluation.hpp"
#include "tessera/hydrology/forecast.hpp"
#include "tessera/hydrology/pi_xml.hpp"

namespace tessera::hydrology {

struct ModelTraining {
  std::string config{};         // run config (.yaml, .yml or .json)
  std::string output{};         // model to write (.h5)
  int gr4j_runs = 4000;         // model runs to calibrate GR4J
  std::ostream* log = nullptr;  // the data, the calibrated baseline, what is trained
  bool epoch_lines = true;      // and, with a log, a line per epoch
  RunSettings run{};            // checkpoints, resume, init_from (its output: `output`)
};

// Reads the config and its data, calibrates GR4J on the training period when the config names
// its inputs, trains the LSTM ensemble, and saves both as one model.
DischargeModel train_from_config(const ModelTraining& t);

// The model at `path`, with the inputs and periods of `config` in place of its own when one is
// given (data moved, a new period to score). Throws SettingError("config", ...) when the config
// describes another model (mode, discharge, forcings or lead times differ).
DischargeModel load_model_with_config(const std::string& path, const std::string& config,
                                      Device device = Device::cpu());

struct ModelEvaluation {
  std::string model{}, config{};  // config: optional, see load_model_with_config
  std::string period = "test";    // train, validation or test
  std::string output{};           // scores to write (.json)
  std::string markdown{};         // table to write (default: output with .md)
  std::string plot{};             // hydrograph PNG to write (default: output with .png)
  std::string series{};           // per-day values CSV to write (default: output with .csv)
  std::string reliability{};      // reliability PNG (default: output with _reliability.png)
  std::string basin{};            // a model of several basins: the one to score (default: all,
                                  // JSON and table only)
  Device device = Device::cpu();  // where the network computes
};

struct EvaluationReport {
  std::string markdown{};       // the table
  std::string markdown_path{};  // where it was written
  std::string plot_path{}, series_path{}, reliability_path{};
  std::vector<std::string> files{};  // everything written, the scores first
};

// Scores the model on the period and writes the JSON, the table, the period's hydrograph
// (observed against the network at the shortest lead, with its band and GR4J), the reliability
// diagram and the per-day values together. A model of several basins without `basin`: every
// basin's scores (JSON and table; held-out basins marked) and no plots.
EvaluationReport evaluate_to_files(const ModelEvaluation& e);

struct ForecastIssue {
  std::string model{}, config{};     // config: optional, its inputs replace the model's
  std::string as_of{};               // issue day YYYY-MM-DD, or "latest": the data's last day
  std::string output{};              // forecast CSV to write
  std::string plot{};                // hydrograph PNG to write (optional)
  std::string pi_xml{};              // Delft-FEWS PI-XML time series to write (optional)
  std::string location{};            // its locationId (default: the basin, else the config's
                                     // file stem)
  std::string basin{};               // a model of several basins: the one to forecast
  double history = 0;                // days of observed discharge in the plot; 0: 90 for daily
                                     // steps, 8 times the longest lead for shorter ones
  int64_t max_stale_days = 7;        // forecasting: oldest last-observed discharge accepted
  std::ostream* warnings = nullptr;  // e.g. no discharge observed on the issue day
  Device device = Device::cpu();     // where the network computes
};

struct ForecastReport {
  std::string csv{};  // as written to output
};

// Reads nothing after the issue day; writes the CSV, the plot and the PI-XML together.
ForecastReport forecast_to_files(const ForecastIssue& f);

// Observed discharge of the last `history` steps before the issue step and the forecast with its
// 50% and 90% bands and the config's thresholds, in m3/s when the basin area is known
// (area > 0).
LinePlot hydrograph(const TimeSeries& s, const HydrologyConfig& c,
                    const std::vector<ForecastRow>& rows, int64_t history, double area);

// The evaluated period's observed discharge against the network's mean and band and GR4J at
// the shortest lead, in m3/s when the basin area is known (area > 0).
LinePlot evaluation_hydrograph(const Evaluation& e, double area);

// The forecast as PI-XML series: the mean (no qualifier) and each quantile (qualifierId
// "q0.10", ...), with forecastDate the issue day, in m3/s when area > 0 else mm/day.
std::vector<PiSeries> forecast_pi_series(const std::vector<ForecastRow>& rows,
                                         const std::string& location, double area);

}  // namespace tessera::hydrology
