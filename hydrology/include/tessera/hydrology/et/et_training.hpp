#pragma once
// Training an ET correction from basin closure alone. A train-et config is a closure config
// (et/water_budget.hpp) with the products the model may read besides the corrected one, the
// towers to check it against, and the model's settings:
//
//   features: {P_GPCP: P_GPCP_monthly.csv, P_MSWEP: P_MSWEP_monthly.csv}   # name: basin source
//   towers: {series: et_fluxnet_global_monthly_total.csv, sites: site_to_basin_0p5deg.csv}
//   model: {max_correction: 0.15, hidden: 32, steps: 400, learning_rate: 0.01, folds: 5, seed: 1}
//
// With basin means every basin is one cell. With a gridded product ({grid: ..., basins: ...})
// the cells are the grid's, and the other features must be grids on the same grid; the loss is
// the sum-aggregated one of et/closure_loss.hpp either way.
#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tessera/hydrology/et/closure_loss.hpp"
#include "tessera/hydrology/et/correction_model.hpp"
#include "tessera/hydrology/et/water_budget.hpp"

namespace tessera::hydrology::et {

struct EtTrainingSettings {
  // Largest relative change of any cell-month. 0.15 keeps the mean change within the 15% that
  // users of a corrected product accept, whatever the network learns.
  double max_correction = 0.15;
  int64_t hidden = 32;
  // Networks trained from different seeds, their corrections averaged: one fit's luck with 124
  // basins is worth a percent of closure either way, the mean of five is steadier.
  int64_t members = 5;
  int64_t steps = 400;  // full-batch Adam steps: the basin-months of a continent fit in one
  double learning_rate = 0.01;
  double weight_decay = 1e-4;
  int64_t folds = 5;  // basins split into this many folds ...
  int64_t fold = -1;  // ... and this one held out; -1: train on every basin
  uint64_t seed = 1;
};

struct TowerSources {
  std::string series{};  // lon,lat,date,value (mm/month)
  std::string sites{};   // site_lon,site_lat,...,basins: the basin each site is in
};

struct EtConfig {
  std::string path{};
  BudgetConfig budget{};
  std::vector<std::pair<std::string, BasinSource>> features{};  // in config order
  TowerSources towers{};
  EtTrainingSettings model{};
};
// Throws "config <path>: <key>: ..." for unknown keys and bad settings.
EtConfig read_et_config(const std::string& path);

// What the correction acts on: the cells of a grid when the corrected product is a grid (each
// basin being its weighted cells), else the basins themselves (each basin one cell).
struct EtCells {
  std::vector<double> lat{}, lon{};  // per cell, degrees
  // Per input (inputs[0] the corrected product): [cell][month], over the budget's months and
  // one either side, mm/month.
  std::vector<BasinMonths> values{};
  std::vector<std::vector<double>> climate{};  // per input and cell: the mean over those months
  BasinShares shares{};                        // per budget basin: its cells, area shares
};

// The budget and every model input: inputs[0] is the corrected product.
struct EtData {
  WaterBudget budget{};
  std::vector<std::string> inputs{};
  EtCells cells{};
};
// Throws naming the file when a feature is missing, or (grid product) is not a grid on the
// product's grid.
EtData load_et_data(const EtConfig& config);

// The fold of each basin: folds as even as can be, fixed by the basin names and the seed (not
// by their order in a file), so every command of a study agrees on what was held out.
std::vector<int64_t> basin_folds(const std::vector<std::string>& basins, int64_t folds,
                                 uint64_t seed);

// Features of a cell's rows (months + 2 of them, as EtCells' values), row-major.
std::vector<float> cell_rows(const EtData& data, size_t cell, bool location);

// Trains on `basins` (indices into data.budget.basins) only; `log` gets a line every so often.
EtCorrectionModel train_et_model(const EtData& data, const std::vector<size_t>& basins,
                                 const EtTrainingSettings& settings, std::ostream* log = nullptr);

// The corrected product of every basin, [basin][month + 1] like the budget's fluxes: each cell
// corrected, then the basin's area-weighted mean. Throws when the model reads inputs the data
// does not have.
std::vector<double> corrected_et(EtCorrectionModel& model, const EtData& data);

// The classical correction: one factor per calendar month, fitted on `basins` by weighted least
// squares on the filtered product against the closure target.
std::array<double, 12> fit_monthly_factors(const WaterBudget& budget,
                                           const std::vector<size_t>& basins);
std::vector<double> apply_monthly_factors(const std::array<double, 12>& factors,
                                          const WaterBudget& budget);

}  // namespace tessera::hydrology::et
