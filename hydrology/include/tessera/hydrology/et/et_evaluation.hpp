#pragma once
// How much a corrected ET product closes the water budget of basins it was not trained on, how
// much it changed the product, and whether it moved away from the towers that measure ET.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/hydrology/et/et_training.hpp"

namespace tessera::hydrology::et {

// Monthly eddy-covariance ET per basin: every (month, mm) of every site inside it.
struct Towers {
  std::map<std::string, std::vector<std::pair<MonthIndex, double>>> by_basin{};
  int64_t sites = 0;
};
// Empty sources: no towers. Throws naming the file for missing columns or bad values.
Towers read_towers(const TowerSources& sources);

struct ClosureScores {
  std::string method{};
  int64_t basins = 0, basin_months = 0;
  double rms_before = 0, rms_after = 0;  // budget residual RMS, mm/month, over the basin-months
  double reduction = 0;                  // 1 - rms_after / rms_before
  double share_improved = 0;             // basins whose own residual RMS went down
  double mean_abs_change = 0;            // sum |ET' - ET| / sum ET over the basins' months
  int64_t tower_sites = 0, tower_months = 0;
  double tower_rmse_before = 0, tower_rmse_after = 0;  // basin ET against its towers, mm/month
};

// `corrected`: the product after correction, [basin][month + 1] as in EtData; `basins`: the
// basins to score.
ClosureScores score_closure(const std::string& method, const WaterBudget& budget,
                            const std::vector<double>& corrected, const std::vector<size_t>& basins,
                            const Towers& towers);

nlohmann::json scores_json(const ClosureScores& s);
// One Markdown table, a row per method.
std::string scores_markdown(const std::vector<ClosureScores>& rows);

}  // namespace tessera::hydrology::et
