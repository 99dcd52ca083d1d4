// Basins as weighted grid cells from polygons: the polygon cover basin averages use, one basin
// per name, on a latitude / longitude grid given by its cell centres.
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>

#include "../grid_cover.hpp"
#include "../reader_util.hpp"
#include "tessera/formats/gdal_session.hpp"
#include "tessera/hydrology/et/basin_cells.hpp"

namespace tessera::hydrology::et {

using formats::GdalSession;
using hydrology::detail::fail;

namespace {

// The spacing of evenly spaced centres (signed: negative when they decrease).
double spacing_of(const std::vector<double>& centres, const char* name) {
  const std::string axis = std::string("the grid's ") + name;
  if (centres.size() < 2) fail(axis, "fewer than two cells: the cell size is unknown");
  const double d = centres[1] - centres[0];
  if (d == 0 || !std::isfinite(d))
    fail(axis, "the first two cell centres are not distinct numbers");
  for (size_t i = 1; i < centres.size(); ++i)
    if (!(std::abs(centres[i] - centres[i - 1] - d) <= 1e-6 * std::abs(d)))
      fail(axis, "cell centres are not evenly spaced (at index " + std::to_string(i) + ")");
  return d;
}

// The north-up WGS 84 frame over the centres: rows from the northernmost, columns from the
// westernmost.
hydrology::detail::GridFrame frame_of(const std::vector<double>& lat,
                                      const std::vector<double>& lon) {
  const double dlat = std::abs(spacing_of(lat, "latitudes"));
  const double dlon = std::abs(spacing_of(lon, "longitudes"));
  hydrology::detail::GridFrame g;
  g.path = "the grid";
  g.width = int(lon.size());
  g.height = int(lat.size());
  const double north = *std::max_element(lat.begin(), lat.end()) + dlat / 2;
  const double west = *std::min_element(lon.begin(), lon.end()) - dlon / 2;
  const double gt[6] = {west, dlon, 0, north, 0, -dlat};
  std::copy(gt, gt + 6, g.gt);
  g.srs.SetWellKnownGeogCS("WGS84");
  g.srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return g;
}

// Cover of the frame (km2 per cell) -> weights on the caller's lat-major indices.
CellWeights to_weights(const std::vector<double>& cover, const std::vector<double>& row_area,
                       const std::vector<double>& lat, const std::vector<double>& lon) {
  const bool south_first = lat.back() > lat.front(), east_first = lon.back() < lon.front();
  const size_t nlat = lat.size(), nlon = lon.size();
  CellWeights w;
  for (size_t r = 0; r < nlat; ++r)
    for (size_t c = 0; c < nlon; ++c) {
      const double km2 = cover[r * nlon + c] * row_area[r];
      if (!(km2 > 0)) continue;
      const size_t i = south_first ? nlat - 1 - r : r, j = east_first ? nlon - 1 - c : c;
      w.cells.emplace_back(i * nlon + j, km2);
      w.area_km2 += km2;
    }
  std::sort(w.cells.begin(), w.cells.end());
  return w;
}

}  // namespace

std::map<std::string, CellWeights> polygon_weights(const std::vector<double>& lat,
                                                   const std::vector<double>& lon,
                                                   const std::string& vector_path,
                                                   const std::string& name_field) {
  const GdalSession gdal;
  const hydrology::detail::GridFrame g = frame_of(lat, lon);
  hydrology::detail::require_file(vector_path);
  const hydrology::detail::Dataset ds =
      hydrology::detail::open_dataset(vector_path, GDAL_OF_VECTOR);
  if (!ds || ds->GetLayerCount() == 0)
    fail(vector_path, "not a vector file GDAL can read" + GdalSession::reason());
  const auto polygons = hydrology::detail::read_polygons(g, *ds, vector_path, name_field);
  std::map<std::string, std::vector<OGRGeometry*>> by_name;
  for (const auto& p : polygons) by_name[p.name].push_back(p.geometry.get());
  const std::vector<double> row_area = hydrology::detail::row_areas_km2(g);
  std::map<std::string, CellWeights> out;
  for (const auto& [name, geometries] : by_name) {
    const std::vector<double> cover = hydrology::detail::polygon_cover(g, geometries, vector_path);
    out[name] = cover.empty() ? CellWeights{} : to_weights(cover, row_area, lat, lon);
  }
  return out;
}

}  // namespace tessera::hydrology::et
