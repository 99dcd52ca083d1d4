// Basin averages of gridded forcings through GDAL: each cell weighted by its area inside the
// basin, missing cells left out day by day.
#include <cpl_conv.h>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "reader_util.hpp"
#include "tessera/formats/gdal_session.hpp"
#include "tessera/hydrology/readers.hpp"

namespace tessera::hydrology {

using namespace detail;
using formats::GdalSession;

namespace {

constexpr double earth_radius_km = 6371.0088;  // IUGG mean radius
constexpr int sub_cells = 5;                   // polygon cover counted on 5 x 5 points a cell

struct CloseDataset {
  void operator()(GDALDataset* d) const { GDALClose(d); }
};
using Dataset = std::unique_ptr<GDALDataset, CloseDataset>;

Dataset open(const std::string& name, unsigned flags) {
  return Dataset(GDALDataset::FromHandle(
      GDALOpenEx(name.c_str(), flags | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
}

struct Grid {
  std::string path;  // as errors name it
  Dataset ds;
  int width = 0, height = 0;
  double gt[6] = {};
  OGRSpatialReference srs;
};

// The NetCDF variables GDAL lists as subdatasets ("NETCDF:"path":var").
std::vector<std::string> netcdf_variables(GDALDataset& ds) {
  std::vector<std::string> names;
  for (char** sd = ds.GetMetadata("SUBDATASETS"); sd && *sd; ++sd) {
    const std::string item = *sd;
    if (item.find("_NAME=") != std::string::npos) names.push_back(item.substr(item.rfind(':') + 1));
  }
  return names;
}

Dataset open_raster(const GridSource& src) {
  require_file(src.path);
  Dataset ds = open(src.path, GDAL_OF_RASTER);
  if (!ds) fail(src.path, "not a raster GDAL can read" + GdalSession::reason());
  if (std::string(ds->GetDriver()->GetDescription()) != "netCDF") {
    if (!src.variable.empty())
      fail(src.path, "variable '" + src.variable + "' asked of a file that is not NetCDF");
    return ds;
  }
  const std::vector<std::string> vars = netcdf_variables(*ds);
  if (src.variable.empty() && ds->GetRasterCount() == 0)
    fail(src.path, "holds several variables; name one (variables: " + list_names(vars) + ")");
  if (src.variable.empty()) return ds;
  // A file with one variable lists no subdatasets: it is the variable GDAL opened.
  const char* only =
      ds->GetRasterCount() > 0 ? ds->GetRasterBand(1)->GetMetadataItem("NETCDF_VARNAME") : nullptr;
  if (only && src.variable == only) return ds;
  if (std::find(vars.begin(), vars.end(), src.variable) == vars.end())
    fail(src.path, "no variable '" + src.variable +
                       "' (variables: " + (only ? std::string(only) : list_names(vars)) + ")");
  return open("NETCDF:\"" + src.path + "\":" + src.variable, GDAL_OF_RASTER);
}

// CF lat/lon grids often carry no grid_mapping, so GDAL gives no CRS: a grid whose extent fits
// longitude and latitude is taken as WGS 84; anything else without a CRS cannot be measured.
void set_crs(Grid& g) {
  const OGRSpatialReference* srs = g.ds->GetSpatialRef();
  if (srs && !srs->IsEmpty()) {
    g.srs = *srs;
  } else {
    const double x0 = g.gt[0], x1 = g.gt[0] + g.width * g.gt[1];
    const double y0 = g.gt[3], y1 = g.gt[3] + g.height * g.gt[5];
    const bool lonlat = std::min(x0, x1) >= -360 && std::max(x0, x1) <= 360 &&
                        std::min(y0, y1) >= -90.001 && std::max(y0, y1) <= 90.001;
    if (!lonlat) fail(g.path, "the grid has no coordinate reference system");
    g.srs.SetWellKnownGeogCS("WGS84");
  }
  g.srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
}

Grid open_grid(const GridSource& src) {
  Grid g;
  g.path = src.path;
  g.ds = open_raster(src);
  if (!g.ds) fail(src.path, "cannot open variable '" + src.variable + "'" + GdalSession::reason());
  if (g.ds->GetRasterCount() == 0) fail(src.path, "no raster bands");
  if (g.ds->GetGeoTransform(g.gt) != CE_None) fail(src.path, "no georeferencing (geotransform)");
  if (g.gt[2] != 0 || g.gt[4] != 0) fail(src.path, "rotated grids are not supported");
  g.width = g.ds->GetRasterXSize();
  g.height = g.ds->GetRasterYSize();
  set_crs(g);
  return g;
}

// Area of each row's cells, km2: on the sphere for geographic grids (the band between two
// latitudes), the pixel's own area for projected ones.
std::vector<double> row_areas_km2(const Grid& g) {
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

bool is_missing(double v, bool has_nodata, double nodata, bool float32) {
  return std::isnan(v) || (has_nodata && (v == nodata || (float32 && float(v) == float(nodata))));
}

// Rows [row0, row0 + rows) of columns [col0, col0 + cols) of a band, as doubles.
std::vector<double> read_window(GDALRasterBand& band, const std::string& path, int col0, int row0,
                                int cols, int rows) {
  std::vector<double> v(size_t(cols) * size_t(rows));
  if (band.RasterIO(GF_Read, col0, row0, cols, rows, v.data(), cols, rows, GDT_Float64, 0, 0,
                    nullptr) != CE_None)
    fail(path, "cannot read band " + std::to_string(band.GetBand()) + GdalSession::reason());
  return v;
}

// Inside (1) or not (0) from a raster mask on the same grid.
std::vector<double> mask_cover(const Grid& g, GDALDataset& mask, const std::string& path) {
  const int w = mask.GetRasterXSize(), h = mask.GetRasterYSize();
  if (w != g.width || h != g.height)
    fail(path, "the mask is " + std::to_string(w) + " x " + std::to_string(h) +
                   " cells, the grid " + g.path + " " + std::to_string(g.width) + " x " +
                   std::to_string(g.height));
  double gt[6];
  const double tol = 1e-6 * std::abs(g.gt[1]);
  if (mask.GetGeoTransform(gt) == CE_None &&
      (std::abs(gt[0] - g.gt[0]) > tol || std::abs(gt[3] - g.gt[3]) > tol ||
       std::abs(gt[1] - g.gt[1]) > tol || std::abs(gt[5] - g.gt[5]) > tol))
    fail(path, "the mask's cells are not the grid's (" + g.path + "): origin or cell size differ");
  GDALRasterBand& band = *mask.GetRasterBand(1);
  int has = 0;
  const double nodata = band.GetNoDataValue(&has);
  std::vector<double> v = read_window(band, path, 0, 0, w, h);
  for (double& x : v) x = (!is_missing(x, has, nodata, false) && x != 0) ? 1 : 0;
  return v;
}

using Geometry = std::unique_ptr<OGRGeometry>;

// Every polygon of every layer, in the grid's CRS (a layer without a CRS is taken to be in it).
std::vector<Geometry> read_polygons(const Grid& g, GDALDataset& ds, const std::string& path) {
  std::vector<Geometry> polygons;
  for (OGRLayer* layer : ds.GetLayers()) {
    std::unique_ptr<OGRCoordinateTransformation> to_grid;
    if (const OGRSpatialReference* layer_srs = layer->GetSpatialRef()) {
      OGRSpatialReference from = *layer_srs;
      from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      const char* criterion[] = {"CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS", nullptr};
      if (!from.IsSame(&g.srs, criterion))
        to_grid.reset(OGRCreateCoordinateTransformation(&from, &g.srs));
      if (!from.IsSame(&g.srs, criterion) && !to_grid)
        fail(path, "no transformation to the grid's coordinate system" + GdalSession::reason());
    }
    for (const auto& feature : *layer) {
      const OGRGeometry* geom = feature->GetGeometryRef();
      const auto type = geom ? wkbFlatten(geom->getGeometryType()) : wkbUnknown;
      if (type != wkbPolygon && type != wkbMultiPolygon && type != wkbCurvePolygon &&
          type != wkbMultiSurface)
        continue;
      Geometry linear(geom->hasCurveGeometry() ? geom->getLinearGeometry() : geom->clone());
      if (to_grid && linear->transform(to_grid.get()) != OGRERR_NONE)
        fail(path, "a polygon cannot be reprojected to the grid's coordinate system");
      polygons.push_back(std::move(linear));
    }
  }
  if (polygons.empty()) fail(path, "no polygons");
  return polygons;
}

struct Window {
  int col0 = 0, row0 = 0, cols = 0, rows = 0;
};

// The cells the polygons' extent touches, clipped to the grid.
Window extent_window(const Grid& g, const std::vector<Geometry>& polygons,
                     const std::string& path) {
  OGREnvelope env;
  for (const Geometry& p : polygons) {
    OGREnvelope e;
    p->getEnvelope(&e);
    env.Merge(e);
  }
  const double cx0 = (env.MinX - g.gt[0]) / g.gt[1], cx1 = (env.MaxX - g.gt[0]) / g.gt[1];
  const double ry0 = (env.MaxY - g.gt[3]) / g.gt[5], ry1 = (env.MinY - g.gt[3]) / g.gt[5];
  const auto clip = [](double v, int n) { return int(std::clamp(v, 0.0, double(n))); };
  const int c0 = clip(std::floor(std::min(cx0, cx1)), g.width);
  const int c1 = clip(std::ceil(std::max(cx0, cx1)), g.width);
  const int r0 = clip(std::floor(std::min(ry0, ry1)), g.height);
  const int r1 = clip(std::ceil(std::max(ry0, ry1)), g.height);
  if (c1 <= c0 || r1 <= r0)
    fail(path, "the basin does not overlap the grid " + g.path + " (basin x " +
                   std::to_string(env.MinX) + ".." + std::to_string(env.MaxX) + ", y " +
                   std::to_string(env.MinY) + ".." + std::to_string(env.MaxY) + ")");
  return {c0, r0, c1 - c0, r1 - r0};
}

// Burns the polygons (1 at sub-cell centres inside) onto a 5x finer grid over rows of `w`, and
// adds each cell's share of inside sub-cells to `cover`.
void burn_strip(const Grid& g, const std::vector<OGRGeometryH>& handles, const Window& w,
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

// Fraction of each cell inside the polygons, rasterized a strip of rows at a time so that the
// fine grid stays small whatever the basin's size.
std::vector<double> polygon_cover(const Grid& g, GDALDataset& ds, const std::string& path) {
  const std::vector<Geometry> polygons = read_polygons(g, ds, path);
  const Window all = extent_window(g, polygons, path);
  std::vector<OGRGeometryH> handles;
  for (const Geometry& p : polygons) handles.push_back(OGRGeometry::ToHandle(p.get()));
  std::vector<double> cover(size_t(g.width) * size_t(g.height), 0.0);
  const int strip_rows = std::max(1, (1 << 24) / (all.cols * sub_cells * sub_cells));
  for (int r = all.row0; r < all.row0 + all.rows; r += strip_rows)
    burn_strip(g, handles, {all.col0, r, all.cols, std::min(strip_rows, all.row0 + all.rows - r)},
               cover, path);
  return cover;
}

std::vector<double> cell_weights(const Grid& g, const std::string& basin) {
  require_file(basin);
  std::vector<double> cover;
  if (Dataset vec = open(basin, GDAL_OF_VECTOR); vec && vec->GetLayerCount() > 0) {
    cover = polygon_cover(g, *vec, basin);
  } else if (Dataset mask = open(basin, GDAL_OF_RASTER)) {
    cover = mask_cover(g, *mask, basin);
  } else {
    fail(basin, "neither polygons nor a raster mask GDAL can read" + GdalSession::reason());
  }
  const std::vector<double> area = row_areas_km2(g);
  for (size_t i = 0; i < cover.size(); ++i) cover[i] *= area[i / size_t(g.width)];
  return cover;
}

// The NetCDF dimension GDAL spreads over bands (NETCDF_DIM_EXTRA "{time}"), "" when none.
std::string band_dimension(const Grid& g) {
  const char* item = g.ds->GetMetadataItem("NETCDF_DIM_EXTRA");
  std::string dim = item ? item : "";
  std::erase_if(dim, [](char c) { return c == '{' || c == '}'; });
  if (dim.find(',') != std::string::npos)
    fail(g.path, "more than one non-spatial dimension (" + dim + ")");
  return dim;
}

// Each band's NETCDF_DIM_<dim> value on the axis that "<dim>#units" describes.
std::vector<Day> netcdf_band_days(const Grid& g, const std::string& dim) {
  const char* units = g.ds->GetMetadataItem((dim + "#units").c_str());
  const char* calendar = g.ds->GetMetadataItem((dim + "#calendar").c_str());
  const TimeAxis axis = parse_time_axis(g.path, units ? units : "", calendar ? calendar : "");
  std::vector<Day> days;
  for (int b = 1; b <= g.ds->GetRasterCount(); ++b) {
    const char* v = g.ds->GetRasterBand(b)->GetMetadataItem(("NETCDF_DIM_" + dim).c_str());
    double t = 0;
    if (!v || !parse_number(v, t)) fail(g.path, "band " + std::to_string(b) + " has no time");
    days.push_back(day_containing(axis.days(t)));
    if (b > 1 && days.back() <= days[days.size() - 2])
      fail(g.path, "band " + std::to_string(b) + " (" + format_date(days.back()) +
                       ") is not after the band before: sub-daily or unordered time steps");
  }
  return days;
}

// The day of each band: from the NetCDF time axis, else consecutive days from `first_date`.
std::vector<Day> band_days(const Grid& g, const GridSource& src) {
  const std::string dim = band_dimension(g);
  if (dim.empty() && src.first_date.empty())
    fail(src.path, "the grid has no time axis: give the date of band 1 (first_date)");
  if (dim.empty()) {
    std::vector<Day> days(static_cast<size_t>(g.ds->GetRasterCount()));
    std::iota(days.begin(), days.end(), parse_date(src.first_date));
    return days;
  }
  std::vector<Day> days = netcdf_band_days(g, dim);
  if (!src.first_date.empty() && parse_date(src.first_date) != days[0])
    fail(src.path,
         "first_date " + src.first_date + " but the file's first step is " + format_date(days[0]));
  return days;
}

// The smallest window holding every weighted cell.
Window weighted_window(const Grid& g, const std::vector<double>& w) {
  int c0 = g.width, c1 = -1, r0 = g.height, r1 = -1;
  for (int r = 0; r < g.height; ++r)
    for (int c = 0; c < g.width; ++c)
      if (w[size_t(r) * size_t(g.width) + size_t(c)] > 0)
        c0 = std::min(c0, c), c1 = std::max(c1, c), r0 = std::min(r0, r), r1 = std::max(r1, r);
  return {c0, r0, c1 - c0 + 1, r1 - r0 + 1};
}

// Weighted mean of one band over the window, renormalised over the cells that have data.
double band_average(const Grid& g, int b, const Window& win, const std::vector<double>& w) {
  GDALRasterBand& band = *g.ds->GetRasterBand(b);
  int has = 0;
  const double nodata = band.GetNoDataValue(&has);
  const bool float32 = band.GetRasterDataType() == GDT_Float32;
  const double scale = band.GetScale(), offset = band.GetOffset();
  const std::vector<double> v = read_window(band, g.path, win.col0, win.row0, win.cols, win.rows);
  double sum = 0, weight = 0;
  for (int r = 0; r < win.rows; ++r)
    for (int c = 0; c < win.cols; ++c) {
      const double wc = w[size_t(win.row0 + r) * size_t(g.width) + size_t(win.col0 + c)];
      const double x = v[size_t(r) * size_t(win.cols) + size_t(c)];
      if (wc <= 0 || is_missing(x, has, nodata, float32)) continue;
      sum += wc * (x * scale + offset);
      weight += wc;
    }
  return weight > 0 ? sum / weight : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

std::vector<double> basin_cell_weights(const GridSource& grid, const std::string& basin) {
  const GdalSession gdal;
  const Grid g = open_grid(grid);
  return cell_weights(g, basin);
}

BasinAverage basin_average(const GridSource& grid, const std::string& basin) {
  const GdalSession gdal;
  const Grid g = open_grid(grid);
  const std::vector<double> w = cell_weights(g, basin);
  BasinAverage out;
  out.basin_area_km2 = std::accumulate(w.begin(), w.end(), 0.0);
  if (!(out.basin_area_km2 > 0)) fail(basin, "the basin covers no cell of the grid " + grid.path);
  out.days = band_days(g, grid);
  const Window win = weighted_window(g, w);
  for (int b = 1; b <= g.ds->GetRasterCount(); ++b)
    out.values.push_back(band_average(g, b, win, w));
  GDALRasterBand& first = *g.ds->GetRasterBand(1);
  const char* units = first.GetMetadataItem("units");
  out.units = *first.GetUnitType() ? first.GetUnitType() : units ? units : "";
  return out;
}

TimeSeries to_daily_series(const BasinAverage& average, const std::string& name) {
  if (average.days.size() != average.values.size() || average.days.empty())
    throw std::invalid_argument("basin average: " + std::to_string(average.days.size()) +
                                " days for " + std::to_string(average.values.size()) + " values");
  for (size_t i = 1; i < average.days.size(); ++i)
    if (average.days[i] != average.days[i - 1] + 1)
      throw std::invalid_argument("basin average: step " + std::to_string(i) + " is on " +
                                  format_date(average.days[i]) + ", not the day after " +
                                  format_date(average.days[i - 1]) +
                                  " (a daily series needs consecutive days)");
  TimeSeries s{average.days.front(), int64_t(average.days.size()), {}};
  s.variables[name] = {average.values, average.units};
  return s;
}

}  // namespace tessera::hydrology
