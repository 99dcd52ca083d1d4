#pragma once
// How much of each grid cell lies inside polygons, through GDAL / OGR: what basin averages weight
// cells by (one basin on a raster's own grid) and what the ET workflow's basin weights are (one
// basin per feature on a latitude / longitude grid). Polygon cover is counted on a 5 x 5 sub-grid
// of each cell; areas are spherical for geographic grids and pixel areas for projected ones.
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>

#include <memory>
#include <string>
#include <vector>

namespace tessera::hydrology::detail {

struct CloseDataset {
  void operator()(GDALDataset* d) const { GDALClose(d); }
};
using Dataset = std::unique_ptr<GDALDataset, CloseDataset>;

// Read-only; null when GDAL cannot open `name` with `flags` (GDAL_OF_RASTER, GDAL_OF_VECTOR).
Dataset open_dataset(const std::string& name, unsigned flags);

// A north-up grid: width x height cells, cell (r, c) spanning x gt[0] + c * gt[1] .. + gt[1] and
// y gt[3] + r * gt[5] .. + gt[5] (gt[5] < 0), in `srs` (traditional GIS order: x = longitude).
struct GridFrame {
  std::string path;  // as errors name it
  int width = 0, height = 0;
  double gt[6] = {};
  OGRSpatialReference srs;
};

// Rows [row0, row0 + rows) of columns [col0, col0 + cols) of a band, as doubles.
std::vector<double> read_window(GDALRasterBand& band, const std::string& path, int col0, int row0,
                                int cols, int rows);

using Geometry = std::unique_ptr<OGRGeometry>;
struct NamedPolygon {
  std::string name;  // the feature's `name_field` value; "" without a field
  Geometry geometry;
};

// Every (multi)polygon of every layer of `ds` (read from `path`), in the grid's CRS (a layer
// without a CRS is taken to be in it). Throws naming `path` when there is none, when
// `name_field` is given but a layer lacks it, or when a polygon cannot be reprojected.
std::vector<NamedPolygon> read_polygons(const GridFrame& g, GDALDataset& ds,
                                        const std::string& path,
                                        const std::string& name_field = "");

// The extent of `polygons` as "x a..b, y c..d", for messages.
std::string extent_text(const std::vector<OGRGeometry*>& polygons);

// Fraction (0..1) of each cell inside the polygons together, row-major from the top row; empty
// when the polygons' extent misses the grid altogether.
std::vector<double> polygon_cover(const GridFrame& g, const std::vector<OGRGeometry*>& polygons,
                                  const std::string& path);

// Area of one cell of each row, km2.
std::vector<double> row_areas_km2(const GridFrame& g);

}  // namespace tessera::hydrology::detail
