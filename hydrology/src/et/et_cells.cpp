// The cells a correction acts on: a gridded product's own cells (each basin its weighted cells),
// or, for basin tables, the basins themselves.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "tessera/hydrology/et/et_training.hpp"
#include "tessera/hydrology/et/monthly_grid.hpp"

namespace tessera::hydrology::et {

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

EtCells basin_cells(const EtConfig& c, const WaterBudget& w) {
  EtCells cells{.lat = w.lat, .lon = w.lon};
  cells.values.push_back(w.evapotranspiration);
  for (const auto& [name, source] : c.features)
    cells.values.push_back(align(read_basin_source(source), w.basins, w.first - 1, w.months + 2));
  for (size_t b = 0; b < w.basins.size(); ++b) cells.shares.push_back({{b, 1.0}});
  return cells;
}

// The grid's values at `index` (lat-major grid cells) over the budget's months and one either
// side, read a month at a time.
BasinMonths grid_values(const MonthlyGridReader& g, double scale, const std::vector<size_t>& index,
                        const WaterBudget& w) {
  BasinMonths m{.first = w.first - 1, .months = w.months + 2};
  m.values.assign(index.size() * size_t(m.months), kMissing);
  const std::vector<MonthIndex>& months = g.months();
  for (int64_t k = 0; k < m.months; ++k) {
    const auto it = std::lower_bound(months.begin(), months.end(), m.first + k);
    if (it == months.end() || *it != m.first + k) continue;
    const std::vector<double> frame = g.read(size_t(it - months.begin()));
    for (size_t c = 0; c < index.size(); ++c)
      m.values[c * size_t(m.months) + size_t(k)] = scale * frame[index[c]];
  }
  return m;
}

bool all_missing(const BasinMonths& m, size_t cell) {
  for (int64_t k = 0; k < m.months; ++k)
    if (!std::isnan(m.at(cell, k))) return false;
  return true;
}

EtCells grid_cells(const EtConfig& c, const WaterBudget& w) {
  const BasinSource& source = c.budget.evapotranspiration;
  const MonthlyGridReader et(
      {.path = source.grid, .variable = source.variable, .first_month = source.first_month});
  const std::map<std::string, CellWeights> basins = basins_on_grid(source, et.lat(), et.lon());
  std::vector<size_t> index;  // grid index of each cell
  std::map<size_t, size_t> cell_of;
  std::vector<std::vector<std::pair<size_t, double>>> weights;
  for (const std::string& name : w.basins) {
    std::vector<std::pair<size_t, double>> basin;
    const auto it = basins.find(name);
    if (it != basins.end())
      for (const auto& [grid_index, km2] : it->second.cells) {
        const auto [at, added] = cell_of.emplace(grid_index, index.size());
        if (added) index.push_back(grid_index);
        basin.emplace_back(at->second, km2);
      }
    weights.push_back(std::move(basin));
  }
  EtCells cells;
  cells.values.push_back(grid_values(et, source.scale, index, w));
  for (const auto& [name, f] : c.features) {
    if (f.grid.empty())
      throw std::runtime_error("feature " + name +
                               " is a basin table, but the corrected product is a grid: give it as "
                               "a grid on the same cells");
    const MonthlyGridReader g(
        {.path = f.grid, .variable = f.variable, .first_month = f.first_month});
    if (g.lat() != et.lat() || g.lon() != et.lon())
      throw std::runtime_error(f.grid + ": feature " + name + " is not on the grid of " +
                               source.grid);
    cells.values.push_back(grid_values(g, f.scale, index, w));
  }
  const size_t nlon = et.lon().size();
  for (size_t i : index)
    cells.lat.push_back(et.lat()[i / nlon]), cells.lon.push_back(et.lon()[i % nlon]);
  // Cells the product never covers (lakes, the sea inside a coastal cell) leave the basin, whose
  // mean the budget took over the others.
  for (auto& basin : weights) {
    std::erase_if(basin, [&](const auto& cw) { return all_missing(cells.values[0], cw.first); });
    double total = 0;
    for (const auto& [cell, km2] : basin) total += km2;
    for (auto& [cell, km2] : basin) km2 /= total;
    cells.shares.push_back(std::move(basin));
  }
  return cells;
}

std::vector<std::vector<double>> climate_of(const std::vector<BasinMonths>& values) {
  std::vector<std::vector<double>> out;
  for (const BasinMonths& v : values) {
    std::vector<double> means;
    for (size_t cell = 0; cell < v.values.size() / size_t(v.months); ++cell) {
      double sum = 0;
      int64_t n = 0;
      for (int64_t k = 0; k < v.months; ++k)
        if (!std::isnan(v.at(cell, k))) sum += v.at(cell, k), ++n;
      means.push_back(n > 0 ? sum / double(n) : kMissing);
    }
    out.push_back(std::move(means));
  }
  return out;
}

}  // namespace

EtData load_et_data(const EtConfig& config) {
  EtData d{.budget = load_water_budget(config.budget)};
  d.inputs.push_back(d.budget.product);
  for (const auto& [name, source] : config.features) {
    if (std::find(d.inputs.begin(), d.inputs.end(), name) != d.inputs.end())
      throw std::runtime_error("config " + config.path + ": features." + name +
                               ": named twice (the corrected product is " + d.budget.product + ")");
    d.inputs.push_back(name);
  }
  d.cells = config.budget.evapotranspiration.grid.empty() ? basin_cells(config, d.budget)
                                                          : grid_cells(config, d.budget);
  d.cells.climate = climate_of(d.cells.values);
  return d;
}

std::vector<float> cell_rows(const EtData& data, size_t cell, bool location) {
  const EtCells& c = data.cells;
  const size_t n = data.inputs.size();
  const int64_t f = feature_count(n, location);
  const int64_t rows = data.budget.months + 2;
  std::vector<float> out(size_t(rows * f));
  std::vector<double> values(n), climate(n);
  for (size_t i = 0; i < n; ++i) climate[i] = c.climate[i][cell];
  for (int64_t k = 0; k < rows; ++k) {
    for (size_t i = 0; i < n; ++i) values[i] = c.values[i].at(cell, k);
    cell_features(values.data(), climate.data(), n, calendar_month(data.budget.first - 1 + k),
                  c.lat[cell], c.lon[cell], location, out.data() + size_t(k * f));
  }
  return out;
}

}  // namespace tessera::hydrology::et
