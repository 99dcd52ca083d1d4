#pragma once
// The discharge model: an ensemble of LSTMs, each reading a window of inputs (days, or the
// config's shorter steps) and predicting, at every lead time (in simulation mode: on the
// window's last step), the mean
// discharge and its quantiles. With GR4J's inputs the network also reads GR4J's simulated
// discharge and stores (a hybrid), and the forecast may blend in GR4J's own: which blend, and
// how the quantiles are shifted so their stated coverage holds, are chosen on the validation
// period and kept in the model.
//
//   DischargeModel m = train_discharge_model(config, series, {}, {}, gr4j);
//   save_discharge_model("salmon.h5", m);
//   DischargeForecast f = predict_discharge(m, series, {parse_date("2005-06-01")});
//   double q = f.mean(0, 0);               // mm/day at the first lead time
//   double hi = f.quantile(0, 0, 0.9);     // its 90th percentile
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
  std::vector<double> attribute_mean{}, attribute_sd{};  // per static attribute, over the basins
};

// One basin of a model trained on several.
struct ModelBasin {
  std::string id;
  std::vector<double> attributes{};           // as given, in the model's attribute order
  std::optional<ConceptualModel> baseline{};  // GR4J calibrated on its training period
  bool held_out = false;                      // the network never trained on its discharge
};

// The quantile levels every forecast states: the 50, 80 and 90% central bands and the median.
const std::vector<double>& forecast_levels();

// One of the forecasts train weighed on the validation period.
struct Candidate {
  std::string name;            // network, gr4j, blend
  std::vector<double> nse;     // per lead time, on the validation period
  std::vector<double> weight;  // blend: the network's share per lead (GR4J has the rest)
};

struct DischargeModel {
  // The basin in use: for a model of several basins, basin_config of the selected one
  // (select_basin); its json is always the whole config.
  HydrologyConfig config;
  std::vector<std::string> inputs;       // variables read, in channel order
  std::vector<std::string> input_units;  // as in the training data ("" unknown): data given to
                                         // the model later is converted to them
  Normalisation norm;
  // [N, 2 * inputs, T] -> [N, members * leads * (1 + levels)], normalised: per member and lead
  // the mean, then a value per quantile level.
  std::unique_ptr<Module> network;
  std::vector<double> levels;  // the network's quantile levels; empty: it predicts means only
  // With weather forecasts: the forcings read for the `ahead` days after the issue day, as
  // issued on it (the window grows by those days, and a channel marks them).
  std::vector<std::string> forecast_inputs;
  int64_t ahead = 0;
  bool hybrid = false;        // the inputs include GR4J's discharge and stores
  int epochs = 0;             // trained
  double validation_nse = 0;  // of the network's kept weights, mean over lead times
  // GR4J calibrated on the same training period, when the config names its inputs: the
  // baseline evaluate reports beside the network, and the hybrid's source.
  std::optional<ConceptualModel> baseline;
  // Chosen on the validation period: the network's share of the forecast per lead (1: the
  // network alone; the rest is GR4J's), and the shift of each quantile level per lead, in
  // units of the forecast's own 5-95% spread, that makes the stated levels hold there.
  std::vector<double> blend;
  std::vector<std::vector<double>> calibration;  // [lead][level of forecast_levels()]
  std::vector<Candidate> candidates;             // what was weighed, for evaluate to show
  std::string choice;                            // the candidate kept
  // A model of several basins: each basin, the static attributes every basin is described by,
  // and the selected basin's attributes (`baseline` is its GR4J). Empty for one basin.
  std::vector<ModelBasin> basins;
  std::vector<std::string> attribute_names;
  std::vector<double> attributes;
  size_t selected = 0;
};

// Makes basin `id` of a model of several basins the one predict_discharge, evaluate and
// forecast work on (its config, GR4J and attributes). Throws SettingError("basin") naming the
// basins there are when `id` is none of them; a one-basin model takes "" only.
void select_basin(DischargeModel& m, const std::string& id);

// The data of one basin as training reads it.
struct BasinData {
  std::string id;
  HydrologyConfig config;  // the basin's (basin_config)
  TimeSeries series;
  std::optional<ConceptualModel> baseline{};
  std::vector<double> attributes{};
  bool held_out = false;
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
// each epoch); `forecasts` as for predict_discharge. With a `baseline` (GR4J calibrated on the
// training period) the network is a hybrid (unless the config's model.hybrid is false) and the
// blend with GR4J is chosen; then the quantiles are calibrated on the validation period.
DischargeModel train_discharge_model(const HydrologyConfig& c, const TimeSeries& s,
                                     const std::function<void(const EpochReport&)>& progress = {},
                                     const RunSettings& run = {},
                                     const std::optional<ConceptualModel>& baseline = {},
                                     const WeatherForecasts* forecasts = nullptr);

// One model of several basins (`c` a config with basins; their data in `basins`, in the same
// order): trained on the basins not held out, pooled, every basin described to the network by
// its attributes; the blend and the band are chosen on their validation periods together.
DischargeModel train_discharge_model(const HydrologyConfig& c, const std::vector<BasinData>& basins,
                                     const std::function<void(const EpochReport&)>& progress = {},
                                     const RunSettings& run = {});

struct DischargeForecast {
  std::vector<Step> issue_days;
  std::vector<int64_t> leads;  // steps ahead (0 in simulation)
  std::vector<double> levels;  // forecast_levels()
  std::vector<double> point;   // [issue][lead], mm/day: the forecast (mean of the chosen blend)
  std::vector<double> values;  // [issue][lead][level], mm/day, non-decreasing along levels
  int64_t members = 0;
  std::vector<double> network;  // [issue][member][lead], mm/day: each member's mean, unblended
  std::vector<double> gr4j{};   // [issue][lead], mm/day: GR4J's (empty without a baseline)

  double mean(size_t issue, size_t lead) const { return point[issue * leads.size() + lead]; }
  const double* quantiles(size_t issue, size_t lead) const {
    return values.data() + (issue * leads.size() + lead) * levels.size();
  }
  // Linear interpolation between the levels; q outside them takes the nearest one.
  double quantile(size_t issue, size_t lead, double q) const;
  double member(size_t issue, int64_t k, size_t lead) const {
    return network[(issue * size_t(members) + size_t(k)) * leads.size() + lead];
  }
};

// For each issue step, the prediction from the window of inputs ending on it (steps outside the
// series read as missing). Nothing observed after an issue step is read, and of the weather
// forecasts only those issued on it. Inputs in other units than the training data's are
// converted (K to degC, ...); throws when they cannot be. `forecasts`: the weather forecasts
// (default: those the config names, load_forecasts), in the units of `s`.
DischargeForecast predict_discharge(DischargeModel& m, const TimeSeries& s,
                                    const std::vector<Step>& issue_days,
                                    const WeatherForecasts* forecasts = nullptr);

void save_discharge_model(const std::string& path, DischargeModel& m);
// Throws std::runtime_error naming the file when it is not a discharge model.
DischargeModel load_discharge_model(const std::string& path);

}  // namespace tessera::hydrology
