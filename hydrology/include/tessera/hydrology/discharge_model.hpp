#pragma once
// The discharge network: an ensemble of LSTMs, each reading a window of daily inputs and
// predicting the discharge at every lead time (in simulation mode: on the window's last day).
// Members differ only in their initial weights and dropout draws; their spread is the
// forecast's uncertainty band.
//
//   DischargeModel m = train_discharge_model(config, series);
//   save_discharge_model("salmon.h5", m);
//   EnsembleForecast f = predict_discharge(m, series, {parse_date("2005-06-01")});
//   double q = f.mean(0, 0);   // mm/day at the first lead time
//
// Inputs are normalised with training-period means and standard deviations (kept in the
// checkpoint). In forecasting mode the network predicts the change from the latest observed
// discharge (0 is persistence), in simulation mode the discharge itself. Each input variable
// is two channels: its normalised value (0 where missing) and
// a missing flag, so gaps are explicit rather than guessed. Days with a missing target are
// left out of the loss.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tessera/hydrology/conceptual.hpp"
#include "tessera/hydrology/config.hpp"
#include "tessera/hydrology/series.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::hydrology {

struct Normalisation {
  std::vector<double> mean, sd;  // per input variable, over the training period
  double target_mean = 0, target_sd = 1;
};

struct DischargeModel {
  HydrologyConfig config;
  std::vector<std::string> inputs;       // variables read, in channel order
  std::vector<std::string> input_units;  // as in the training data ("" unknown): data given to
                                         // the model later is converted to them
  Normalisation norm;
  std::unique_ptr<Module> network;  // [N, 2 * inputs, T] -> [N, members * leads], normalised
  int epochs = 0;                   // trained
  double validation_nse = 0;        // of the kept weights, mean over lead times
  // GR4J calibrated on the same training period, when the config names its inputs: the
  // baseline evaluate reports beside the network.
  std::optional<ConceptualModel> baseline;
};

// The variables the network of `c` reads: the forcings, and in forecasting mode the discharge.
std::vector<std::string> model_inputs(const HydrologyConfig& c);

struct EpochReport {
  int epoch = 0;
  double train_loss = 0;      // mean squared error of normalised discharge
  double validation_nse = 0;  // ensemble mean, averaged over lead times
  bool kept = false;          // the best so far: these weights are kept
  double seconds = 0;
};

// Trains on the training period, keeps the weights of the epoch with the best validation NSE
// and stops after `patience` epochs without improvement. An epoch is as many steps of the
// training loop as it has batches (`run`: checkpoints, resume, init_from; validation after
// each epoch).
DischargeModel train_discharge_model(const HydrologyConfig& c, const DailySeries& s,
                                     const std::function<void(const EpochReport&)>& progress = {},
                                     const RunSettings& run = {});

struct EnsembleForecast {
  std::vector<Day> issue_days;
  std::vector<int64_t> leads;  // days ahead (0 in simulation)
  int64_t members = 0;
  std::vector<double> values;  // [issue][member][lead], mm/day

  double at(size_t issue, int64_t member, size_t lead) const {
    return values[(issue * size_t(members) + size_t(member)) * leads.size() + lead];
  }
  double mean(size_t issue, size_t lead) const;
  // Linear interpolation between the sorted members; q in [0, 1].
  double quantile(size_t issue, size_t lead, double q) const;
};

// For each issue day, the prediction from the window of inputs ending on it (days outside the
// series read as missing). Nothing after an issue day is read. Inputs in other units than the
// training data's are converted (K to degC, ...); throws when they cannot be.
EnsembleForecast predict_discharge(DischargeModel& m, const DailySeries& s,
                                   const std::vector<Day>& issue_days);

void save_discharge_model(const std::string& path, DischargeModel& m);
// Throws std::runtime_error naming the file when it is not a discharge model.
DischargeModel load_discharge_model(const std::string& path);

}  // namespace tessera::hydrology
