#pragma once
// Basins as weighted cells of a monthly grid: from a list of each basin's cells (the water-budget
// data's basin_cells_0p5deg.csv) or from polygons, and the basin mean of one month's frame.
//
//   const auto basins = read_basin_cells("basin_cells_0p5deg.csv");
//   const CellWeights w = cell_list_weights(grid.lat(), grid.lon(), basins.at("RUKWA"));
//   const double et = weighted_mean(grid.read(t), w);  // mm/month over the basin
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tessera::hydrology::et {

struct BasinCell {
  double lon = 0, lat = 0;  // the listed cell's centre, degrees
  double area_km2 = 0;
};

// A CSV with columns basin, lon, lat, cell_area_km2 (any order, more columns ignored) -> each
// basin's cells in file order. Throws std::runtime_error naming the file (and line) for a missing
// column, a value that is not a finite number, a negative area, or a cell listed twice in a basin.
std::map<std::string, std::vector<BasinCell>> read_basin_cells(const std::string& csv_path);

// A basin on a grid: (cell index lat-major, i * lon.size() + j; weight in km2), cells in index
// order, each once.
struct CellWeights {
  std::vector<std::pair<size_t, double>> cells;
  double area_km2 = 0;     // sum of the weights
  double outside_km2 = 0;  // area of listed cells the grid does not reach (cell_list_weights)
};

// Each listed cell (cell_size_deg wide, centred on its lon / lat) spreads its area over the grid
// cells whose centres fall inside it, in proportion to cos(latitude): four 0.25-degree cells per
// 0.5-degree one, one when the grids are the same. On a coarser grid it gives its whole area to
// the grid cell holding its centre. Longitudes compare modulo 360. `lat`, `lon`: cell centres in
// any order.
CellWeights cell_list_weights(const std::vector<double>& lat, const std::vector<double>& lon,
                              const std::vector<BasinCell>& cells, double cell_size_deg = 0.5);

// One entry per value of `name_field` over the polygons of a vector file (Shapefile, GeoJSON,
// GeoPackage; features of one name merged), weight = km2 of the cell inside the polygons
// (spherical cell areas, cover counted on a 5 x 5 sub-grid). A name whose polygons miss the grid
// gets no cells. `lat`, `lon`: evenly spaced cell centres, either direction. Throws
// std::runtime_error naming the file when it is missing, holds no polygons or lacks the field,
// or naming the grid when it is not evenly spaced.
std::map<std::string, CellWeights> polygon_weights(const std::vector<double>& lat,
                                                   const std::vector<double>& lon,
                                                   const std::string& vector_path,
                                                   const std::string& name_field);

// sum(w * x) / sum(w) over the cells whose value in `frame` (lat-major) is not NaN; NaN when none
// is.
double weighted_mean(const std::vector<double>& frame, const CellWeights& w);

}  // namespace tessera::hydrology::et
