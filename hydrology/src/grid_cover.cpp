#include "grid_cover.hpp"

#include <gdal_alg.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "reader_util.hpp"
#include "tessera/formats/gdal_session.hpp"

namespace tessera::hydrology::detail {

using formats::GdalSession;

namespace {

constexpr double earth_radius_km = 6371.0088;  // IUGG mean radius
constexpr int sub_cells = 5;                   // polygon cover counted on 5 x 5 points a cell

// The transformation from a layer's CRS to the grid's; null when they are the same or the layer
// has none.
std::unique_ptr<OGRCoordinateTransformation> to_grid_crs(const GridFrame& g, OGRLayer& layer,
                                                         const std::string& path) {
  const OGRSpatialReference* layer_srs = layer.GetSpatialRef();
  if (!layer_srs) return nullptr;
  OGRSpatialReference from = *layer_srs;
  from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const char* criterion[] = {"CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS", nullptr};
  if (from.IsSame(&g.srs, criterion)) return nullptr;
  std::unique_ptr<OGRCoordinateTransformation> t(OGRCreateCoordinateTransformation(&from, &g.srs));
  if (!t) fail(path, "no transformation to the grid's coordinate system" + GdalSession::reason());
  return t;
}

bool is_polygon(const OGRGeometry* geom) {
  const auto type = geom ? wkbFlatten(geom->getGeometryType()) : wkbUnknown;
  return type == wkbPolygon || type == wkbMultiPolygon || type == wkbCurvePolygon ||
         type == wkbMultiSurface;
}

struct Window {
  int col0 = 0, row0 = 0, cols = 0, rows = 0;
};

OGREnvelope envelope_of(const std::vector<OGRGeometry*>& polygons) {
  OGREnvelope env;
  for (OGRGeometry* p : polygons) {
    OGREnvelope e;
    p->getEnvelope(&e);
    env.Merge(e);
  }
  return env;
}

// The cells the polygons' extent touches, clipped to the grid; none when it misses the grid.
std::optional<Window> extent_window(const GridFrame& g, const std::vector<OGRGeometry*>& polygons) {
  const OGREnvelope env = envelope_of(polygons);
  const double cx0 = (env.MinX - g.gt[0]) / g.gt[1], cx1 = (env.MaxX - g.gt[0]) / g.gt[1];
  const double ry0 = (env.MaxY - g.gt[3]) / g.gt[5], ry1 = (env.MinY - g.gt[3]) / g.gt[5];
  const auto clip = [](double v, int n) { return int(std::clamp(v, 0.0, double(n))); };
  const int c0 = clip(std::floor(std::min(cx0, cx1)), g.width);
  const int c1 = clip(std::ceil(std::max(cx0, cx1)), g.width);
  const int r0 = clip(std::floor(std::min(ry0, ry1)), g.height);
  const int r1 = clip(std::ceil(std::max(ry0, ry1)), g.height);
  if (c1 <= c0 || r1 <= r0) return std::nullopt;
  return Window{c0, r0, c1 - c0, r1 - r0};
}

// Burns the polygons (1 at sub-cell centres inside) onto a 5x finer grid over rows of `w`, and
// adds each cell's share of inside sub-cells to `cover`.
void burn_strip(const GridFrame& g, const std::vector<OGRGeometryH>& handles, const Window& w,
                std::vector<double>& cover, const std::string& path) {
  const int fine_w = w.cols * sub_cells, fine_h = w.rows * sub_cells;
  Dataset mem(GetGDALDriverManager()->GetDriverByName("MEM")->Create("", fine_w, fine_h, 1,
                                                                     GDT_Byte, nullptr));
  double gt[6] = {g.gt[0] + w.col0 * g.gt[1], g.gt[1] / sub_cells, 0, g.gt[3] + w.row0 * g.gt[5], 0,
                  g.gt[5] / sub_cells};
  mem->SetGeoTransform(gt);
  const int band = 1;
  const std::vector<double> burn(handles.size(), 1.0);
  if (GDALRasterizeGeometries(mem.get(), 1, &band, int(handles.size()), handles.data(), nullptr,
                              nullptr, burn.data(), nullptr, nullptr, nullptr) != CE_None)
    fail(path, "rasterizing the basin failed" + GdalSession::reason());
  const std::vector<double> fine = read_window(*mem->GetRasterBand(1), path, 0, 0, fine_w, fine_h);
  for (int fr = 0; fr < fine_h; ++fr)
    for (int fc = 0; fc < fine_w; ++fc)
      cover[size_t(w.row0 + fr / sub_cells) * size_t(g.width) + size_t(w.col0 + fc / sub_cells)] +=
          fine[size_t(fr) * size_t(fine_w) + size_t(fc)] / (sub_cells * sub_cells);
}

}  // namespace

Dataset open_dataset(const std::string& name, unsigned flags) {
  return Dataset(GDALDataset::FromHandle(
      GDALOpenEx(name.c_str(), flags | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
}

std::vector<double> read_window(GDALRasterBand& band, const std::string& path, int col0, int row0,
                                int cols, int rows) {
  std::vector<double> v(size_t(cols) * size_t(rows));
  if (band.RasterIO(GF_Read, col0, row0, cols, rows, v.data(), cols, rows, GDT_Float64, 0, 0,
                    nullptr) != CE_None)
    fail(path, "cannot read band " + std::to_string(band.GetBand()) + GdalSession::reason());
  return v;
}

std::vector<NamedPolygon> read_polygons(const GridFrame& g, GDALDataset& ds,
                                        const std::string& path, const std::string& name_field) {
  std::vector<NamedPolygon> polygons;
  for (OGRLayer* layer : ds.GetLayers()) {
    const auto to_grid = to_grid_crs(g, *layer, path);
    const int field =
        name_field.empty() ? -1 : layer->GetLayerDefn()->GetFieldIndex(name_field.c_str());
    if (!name_field.empty() && field < 0)
      fail(path, "layer '" + std::string(layer->GetName()) + "' has no field '" + name_field + "'");
    for (const auto& feature : *layer) {
      const OGRGeometry* geom = feature->GetGeometryRef();
      if (!is_polygon(geom)) continue;
      Geometry linear(geom->hasCurveGeometry() ? geom->getLinearGeometry() : geom->clone());
      if (to_grid && linear->transform(to_grid.get()) != OGRERR_NONE)
        fail(path, "a polygon cannot be reprojected to the grid's coordinate system");
      polygons.push_back({field < 0 ? "" : feature->GetFieldAsString(field), std::move(linear)});
    }
  }
  if (polygons.empty()) fail(path, "no polygons");
  return polygons;
}

std::string extent_text(const std::vector<OGRGeometry*>& polygons) {
  const OGREnvelope env = envelope_of(polygons);
  return "x " + std::to_string(env.MinX) + ".." + std::to_string(env.MaxX) + ", y " +
         std::to_string(env.MinY) + ".." + std::to_string(env.MaxY);
}

// Rasterized a strip of rows at a time, so that the fine grid stays small whatever the basin's
// size.
std::vector<double> polygon_cover(const GridFrame& g, const std::vector<OGRGeometry*>& polygons,
                                  const std::string& path) {
  const std::optional<Window> all = extent_window(g, polygons);
  if (!all) return {};
  std::vector<OGRGeometryH> handles;
  for (OGRGeometry* p : polygons) handles.push_back(OGRGeometry::ToHandle(p));
  std::vector<double> cover(size_t(g.width) * size_t(g.height), 0.0);
  const int strip_rows = std::max(1, (1 << 24) / (all->cols * sub_cells * sub_cells));
  for (int r = all->row0; r < all->row0 + all->rows; r += strip_rows)
    burn_strip(g, handles,
               {all->col0, r, all->cols, std::min(strip_rows, all->row0 + all->rows - r)}, cover,
               path);
  return cover;
}

// On the sphere for geographic grids (the band between two latitudes), the pixel's own area for
// projected ones.
std::vector<double> row_areas_km2(const GridFrame& g) {
  std::vector<double> area(size_t(g.height));
  if (!g.srs.IsGeographic()) {
    const double metres = g.srs.GetLinearUnits();
    std::fill(area.begin(), area.end(), std::abs(g.gt[1] * g.gt[5]) * metres * metres / 1e6);
    return area;
  }
  const double radians = g.srs.GetAngularUnits();
  const auto lat = [&](int r) {
    return std::clamp((g.gt[3] + r * g.gt[5]) * radians, -M_PI / 2, M_PI / 2);
  };
  const double dlon = std::abs(g.gt[1]) * radians;
  for (int r = 0; r < g.height; ++r)
    area[size_t(r)] = earth_radius_km * earth_radius_km * dlon *
                      std::abs(std::sin(lat(r)) - std::sin(lat(r + 1)));
  return area;
}

}  // namespace tessera::hydrology::detail
