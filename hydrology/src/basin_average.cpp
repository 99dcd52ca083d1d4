// Basin averages of gridded forcings through GDAL: each cell weighted by its area inside the
// basin, missing cells left out day by day.
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "grid_cover.hpp"
#include "reader_util.hpp"
#include "tessera/formats/gdal_session.hpp"
#include "tessera/hydrology/readers.hpp"

namespace tessera::hydrology {

using namespace detail;
using formats::GdalSession;

namespace {

// The raster's frame and the open dataset its bands are read from.
struct Grid : GridFrame {
  Dataset ds;
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
  Dataset ds = open_dataset(src.path, GDAL_OF_RASTER);
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
  return open_dataset("NETCDF:\"" + src.path + "\":" + src.variable, GDAL_OF_RASTER);
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

bool is_missing(double v, bool has_nodata, double nodata, bool float32) {
  return std::isnan(v) || (has_nodata && (v == nodata || (float32 && float(v) == float(nodata))));
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

// Fraction of each cell inside the polygons of `ds`, all features together.
std::vector<double> polygon_cover_of(const Grid& g, GDALDataset& ds, const std::string& path) {
  const std::vector<NamedPolygon> polygons = read_polygons(g, ds, path);
  std::vector<OGRGeometry*> geometries;
  for (const NamedPolygon& p : polygons) geometries.push_back(p.geometry.get());
  std::vector<double> cover = polygon_cover(g, geometries, path);
  if (cover.empty())
    fail(path, "the basin does not overlap the grid " + g.path + " (basin " +
                   extent_text(geometries) + ")");
  return cover;
}

std::vector<double> cell_weights(const Grid& g, const std::string& basin) {
  require_file(basin);
  std::vector<double> cover;
  if (Dataset vec = open_dataset(basin, GDAL_OF_VECTOR); vec && vec->GetLayerCount() > 0) {
    cover = polygon_cover_of(g, *vec, basin);
  } else if (Dataset mask = open_dataset(basin, GDAL_OF_RASTER)) {
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

struct Window {
  int col0 = 0, row0 = 0, cols = 0, rows = 0;
};

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
