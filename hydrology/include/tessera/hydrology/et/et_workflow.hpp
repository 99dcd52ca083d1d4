#pragma once
// The ET-correction commands as library calls: closure (the budget residual per basin), train-et,
// evaluate-et (held-out basins, or a whole cross-validation) and correct-et (a grid, month by
// month in bounded memory).
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tessera/hydrology/et/et_evaluation.hpp"

namespace tessera::hydrology::et {

struct ClosureRequest {
  std::string config, output;      // config (closure or train-et); report JSON
  std::string markdown{}, plot{};  // default: output with .md / .png
};
struct ClosureReport {
  std::string markdown{};
  std::vector<std::string> files{};
};
ClosureReport closure_to_files(const ClosureRequest& r);

struct EtTrainingRequest {
  std::string config, output;
  std::optional<int64_t> fold{};  // over the config's model.fold
  std::ostream* log = nullptr;
};
struct EtTrainingReport {
  int64_t training_basins = 0, held_out_basins = 0;
  double seconds = 0;
  std::optional<ClosureScores> held_out{};  // the model on its held-out basins
};
EtTrainingReport train_et_to_file(const EtTrainingRequest& r);

struct EtEvaluationRequest {
  std::string model{};     // score its held-out basins, or ...
  std::string config{};    // ... (with folds) cross-validate on this config; else the model's
  int64_t folds = 0;       // > 0: train a model per fold and score every basin held out
  std::string output;      // JSON
  std::string markdown{};  // default: output with .md
  std::ostream* log = nullptr;
};
struct EtEvaluationReport {
  std::vector<ClosureScores> rows{};  // the product as it is, monthly factors, the network
  double training_seconds = 0;
  std::string markdown{};
  std::vector<std::string> files{};
};
EtEvaluationReport evaluate_et_to_files(const EtEvaluationRequest& r);

struct EtCorrectionRequest {
  std::string model, input, output;
  std::string variable{};                   // NetCDF variable of the product (empty: the only one)
  std::vector<std::string> features{};      // NAME=GRID for each other input the model reads
  std::optional<MonthIndex> first_month{};  // rasters: month of band 1
  std::string command_line{};               // recorded in the output's history
};
struct EtCorrectionReport {
  int64_t months = 0, cells = 0;
  double mean_abs_change = 0;  // sum |ET' - ET| / sum ET
};
EtCorrectionReport correct_et_to_file(const EtCorrectionRequest& r);

}  // namespace tessera::hydrology::et
