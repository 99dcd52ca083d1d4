// Basins as weighted grid cells from lists of their cells, and the weighted basin mean.
#include "tessera/hydrology/et/basin_cells.hpp"

#include <cmath>
#include <limits>
#include <set>

#include "../reader_util.hpp"

namespace tessera::hydrology::et {

using hydrology::detail::fail;

namespace {

double number_at(const formats::CsvTable& t, const formats::CsvRow& row, int column) {
  double v = 0;
  if (!hydrology::detail::parse_number(row.cells[size_t(column)], v) || !std::isfinite(v))
    t.fail(row.line, "'" + row.cells[size_t(column)] + "' in column " + t.header[size_t(column)] +
                         " is not a number");
  return v;
}

int required_column(const formats::CsvTable& t, std::string_view name) {
  const int c = t.column({name});
  if (c < 0)
    fail(t.path, "no column '" + std::string(name) +
                     "' (columns: " + hydrology::list_names(t.header) + ")");
  return c;
}

// Distance between two longitudes, whichever way round the globe is shorter.
double lon_distance(double a, double b) {
  return std::abs(std::remainder(a - b, 360.0));
}

// Indices of `axis` whose centres lie strictly within `half` of x; on a coarser grid none does,
// and it is the one cell holding x (within half its spacing); empty when x is off the grid.
std::vector<size_t> covering(const std::vector<double>& axis, double x, double half, bool lon) {
  const auto dist = [&](size_t i) {
    return lon ? lon_distance(axis[i], x) : std::abs(axis[i] - x);
  };
  std::vector<size_t> inside;
  size_t nearest = 0;
  for (size_t i = 0; i < axis.size(); ++i) {
    if (dist(i) < half * (1 - 1e-9)) inside.push_back(i);
    if (dist(i) < dist(nearest)) nearest = i;
  }
  if (!inside.empty() || axis.empty()) return inside;
  const size_t next = nearest + 1 < axis.size() ? nearest + 1 : nearest - 1;
  const double spacing = axis.size() > 1 ? std::abs(axis[next] - axis[nearest]) : 2 * half;
  if (dist(nearest) <= spacing / 2 * (1 + 1e-9)) inside.push_back(nearest);
  return inside;
}

}  // namespace

std::map<std::string, std::vector<BasinCell>> read_basin_cells(const std::string& csv_path) {
  const formats::CsvTable t = hydrology::detail::read_whole_table(csv_path, ',');
  const int basin = required_column(t, "basin"), lon = required_column(t, "lon");
  const int lat = required_column(t, "lat"), area = required_column(t, "cell_area_km2");
  std::map<std::string, std::vector<BasinCell>> out;
  std::set<std::tuple<std::string, double, double>> seen;
  for (const formats::CsvRow& row : t.rows) {
    const std::string& name = row.cells[size_t(basin)];
    const BasinCell c{number_at(t, row, lon), number_at(t, row, lat), number_at(t, row, area)};
    if (c.area_km2 < 0) t.fail(row.line, "negative cell area");
    if (!seen.insert({name, c.lon, c.lat}).second)
      t.fail(row.line, "cell " + row.cells[size_t(lon)] + ", " + row.cells[size_t(lat)] +
                           " listed twice for basin '" + name + "'");
    out[name].push_back(c);
  }
  return out;
}

CellWeights cell_list_weights(const std::vector<double>& lat, const std::vector<double>& lon,
                              const std::vector<BasinCell>& cells, double cell_size_deg) {
  constexpr double degree = M_PI / 180;
  std::map<size_t, double> weight;
  CellWeights out;
  for (const BasinCell& c : cells) {
    const std::vector<size_t> rows = covering(lat, c.lat, cell_size_deg / 2, false);
    const std::vector<size_t> cols = covering(lon, c.lon, cell_size_deg / 2, true);
    if (rows.empty() || cols.empty()) {
      out.outside_km2 += c.area_km2;
      continue;
    }
    // Shares by cos(latitude): a grid cell's area on the sphere, up to a constant.
    double total = 0;
    for (size_t i : rows) total += std::cos(lat[i] * degree) * double(cols.size());
    for (size_t i : rows)
      for (size_t j : cols)
        weight[i * lon.size() + j] += c.area_km2 * std::cos(lat[i] * degree) / total;
  }
  for (const auto& [index, w] : weight) {
    out.cells.emplace_back(index, w);
    out.area_km2 += w;
  }
  return out;
}

double weighted_mean(const std::vector<double>& frame, const CellWeights& w) {
  double sum = 0, weight = 0;
  for (const auto& [index, wi] : w.cells) {
    const double x = frame.at(index);
    if (std::isnan(x)) continue;
    sum += wi * x;
    weight += wi;
  }
  return weight > 0 ? sum / weight : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace tessera::hydrology::et
