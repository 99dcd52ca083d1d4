// Basin averages on small rasters written here with GDAL, whose weights are spherical cell areas
// (or pixel areas) computed by hand, and on the real gridMET and BCSD samples.
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/hydrology/readers.hpp"

namespace tessera::hydrology {
namespace {

using tessera::testing::TempDirTest;

constexpr double R = 6371.0088;

// Spherical area of a cell one degree square between two latitudes (degrees).
double degree_cell_km2(double lat_top, double lat_bottom) {
  const double rad = M_PI / 180;
  return R * R * rad * std::abs(std::sin(lat_top * rad) - std::sin(lat_bottom * rad));
}

using tessera::testing::error_of;

constexpr double nodata = -9999;

class BasinAverageTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    GDALAllRegister();
  }

  // A GeoTIFF of `bands` (each width * height values, row-major from the top).
  std::string write_tif(const std::string& name, int width, int height, const double (&gt)[6],
                        int epsg, const std::vector<std::vector<double>>& bands,
                        GDALDataType type = GDT_Float32) {
    const std::string p = path(name);
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    GDALDataset* ds = driver->Create(p.c_str(), width, height, int(bands.size()), type, nullptr);
    double g[6];
    std::copy(gt, gt + 6, g);
    ds->SetGeoTransform(g);
    OGRSpatialReference srs;
    srs.importFromEPSG(epsg);
    ds->SetSpatialRef(&srs);
    for (size_t b = 0; b < bands.size(); ++b) {
      GDALRasterBand* band = ds->GetRasterBand(int(b + 1));
      band->SetNoDataValue(nodata);
      std::vector<double> v = bands[b];
      EXPECT_EQ(band->RasterIO(GF_Write, 0, 0, width, height, v.data(), width, height, GDT_Float64,
                               0, 0, nullptr),
                CE_None);
    }
    GDALClose(ds);
    return p;
  }

  // A GeoJSON file of polygons given as rings of x, y pairs; `crs` empty for GeoJSON's WGS 84.
  std::string write_polygons(const std::string& name,
                             const std::vector<std::vector<std::pair<double, double>>>& rings,
                             const std::string& crs = "") {
    std::ofstream out(path(name));
    out.precision(17);
    out << "{\"type\": \"FeatureCollection\",";
    if (!crs.empty())
      out << "\"crs\": {\"type\": \"name\", \"properties\": {\"name\": \"" << crs << "\"}},";
    out << "\"features\": [";
    for (size_t i = 0; i < rings.size(); ++i) {
      out << (i ? "," : "") << "{\"type\": \"Feature\", \"properties\": {}, \"geometry\": "
          << "{\"type\": \"Polygon\", \"coordinates\": [[";
      for (size_t k = 0; k < rings[i].size(); ++k)
        out << (k ? "," : "") << "[" << rings[i][k].first << "," << rings[i][k].second << "]";
      out << "]]}}";
    }
    out << "]}\n";
    return path(name);
  }
};

// 4 x 3 one-degree cells from 10E 50N; band 1 holds 10 * row + column.
const double geo_gt[6] = {10, 1, 0, 50, 0, -1};

std::vector<double> ramp() {
  std::vector<double> v(12);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) v[size_t(4 * r + c)] = 10 * r + c;
  return v;
}

TEST_F(BasinAverageTest, PolygonWeightsAreSphericalAreasTimesCover) {
  std::vector<double> with_gaps = ramp();
  with_gaps[0] = NAN;     // (0, 0)
  with_gaps[5] = nodata;  // (1, 1)
  const std::string grid = write_tif("grid.tif", 4, 3, geo_gt, 4326,
                                     {ramp(), with_gaps, std::vector<double>(12, nodata)});
  // Cells (0,0), (0,1), (1,0), (1,1) whole, 60% of (1,2) (three of its five sub-columns), and
  // in a second feature cell (2,3) whole with a part beyond the grid's east edge.
  const std::string basin = write_polygons(
      "basin.geojson", {{{10, 50}, {12, 50}, {12, 49}, {12.6, 49}, {12.6, 48}, {10, 48}, {10, 50}},
                        {{13, 48}, {15, 48}, {15, 47}, {13, 47}, {13, 48}}});
  const double a0 = degree_cell_km2(50, 49), a1 = degree_cell_km2(49, 48),
               a2 = degree_cell_km2(48, 47);
  EXPECT_NEAR(a0, 8029.8984, 1e-3);  // by hand: 6371.0088^2 * pi/180 * (sin 50 - sin 49)
  std::vector<double> expected(12, 0.0);
  expected[0] = expected[1] = a0;
  expected[4] = expected[5] = a1;
  expected[6] = 0.6 * a1;
  expected[11] = a2;
  const std::vector<double> w = basin_cell_weights({grid}, basin);
  ASSERT_EQ(w.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_NEAR(w[i], expected[i], 1e-6 * a0) << "cell " << i;

  const BasinAverage avg = basin_average({grid, "", "2001-03-01"}, basin);
  const double total = 2 * a0 + 2.6 * a1 + a2;
  EXPECT_NEAR(avg.basin_area_km2, total, 1e-6 * total);
  ASSERT_EQ(avg.values.size(), 3u);
  EXPECT_NEAR(avg.values[0], (a0 * 1 + a1 * (10 + 11) + 0.6 * a1 * 12 + a2 * 23) / total, 1e-9);
  // Band 2 lacks (0,0) and (1,1): the other weights are renormalised.
  EXPECT_NEAR(avg.values[1], (a0 * 1 + a1 * 10 + 0.6 * a1 * 12 + a2 * 23) / (a0 + 1.6 * a1 + a2),
              1e-9);
  EXPECT_TRUE(std::isnan(avg.values[2]));  // no covered cell has data
  EXPECT_EQ(avg.days, (std::vector<Day>{parse_date("2001-03-01"), parse_date("2001-03-02"),
                                        parse_date("2001-03-03")}));
  const TimeSeries s = to_daily_series(avg, "p");
  EXPECT_EQ(s.first, parse_date("2001-03-01"));
  EXPECT_EQ(s.length, 3);
  EXPECT_EQ(s.at("p")[0], avg.values[0]);
}

TEST_F(BasinAverageTest, RasterMaskOnTheSameGrid) {
  const std::string grid = write_tif("grid.tif", 4, 3, geo_gt, 4326, {ramp()});
  std::vector<double> inside(12, 0.0);
  inside[0] = inside[11] = 1;
  inside[5] = nodata;  // nodata in a mask is outside
  const std::string mask = write_tif("mask.tif", 4, 3, geo_gt, 4326, {inside}, GDT_Int16);
  const std::vector<double> w = basin_cell_weights({grid}, mask);
  EXPECT_NEAR(w[0], degree_cell_km2(50, 49), 1e-6);
  EXPECT_NEAR(w[11], degree_cell_km2(48, 47), 1e-6);
  EXPECT_EQ(w[5], 0);
  const BasinAverage avg = basin_average({grid, "", "2001-01-01"}, mask);
  const double a0 = degree_cell_km2(50, 49), a2 = degree_cell_km2(48, 47);
  EXPECT_NEAR(avg.values[0], 23 * a2 / (a0 + a2), 1e-9);

  const std::string small = write_tif("small.tif", 3, 3, geo_gt, 4326, {std::vector<double>(9, 1)});
  const std::string e = error_of([&] { basin_average({grid, "", "2001-01-01"}, small); });
  EXPECT_HAS(e, small);
  EXPECT_HAS(e, "3 x 3");
  EXPECT_HAS(e, "4 x 3");
  const double shifted_gt[6] = {11, 1, 0, 50, 0, -1};
  const std::string shifted = write_tif("shifted.tif", 4, 3, shifted_gt, 4326, {inside});
  EXPECT_HAS(error_of([&] { basin_cell_weights({grid}, shifted); }), "not the grid's");
}

TEST_F(BasinAverageTest, ProjectedGridUsesPixelAreasAndReprojectsPolygons) {
  // UTM 33N, 1 km pixels at the zone's central meridian.
  const double utm_gt[6] = {500000, 1000, 0, 5500000, 0, -1000};
  const std::string grid = write_tif("utm.tif", 4, 3, utm_gt, 32633, {ramp()});
  // In the grid's own CRS: cells (0,0) and (0,1) whole and 40% of (1,0).
  const std::string own = write_polygons("own.geojson",
                                         {{{500000, 5500000},
                                           {502000, 5500000},
                                           {502000, 5499000},
                                           {500400, 5499000},
                                           {500400, 5498000},
                                           {500000, 5498000},
                                           {500000, 5500000}}},
                                         "urn:ogc:def:crs:EPSG::32633");
  std::vector<double> w = basin_cell_weights({grid}, own);
  EXPECT_NEAR(w[0], 1.0, 1e-9);
  EXPECT_NEAR(w[1], 1.0, 1e-9);
  EXPECT_NEAR(w[4], 0.4, 1e-9);
  EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 2.4, 1e-9);

  // The same kind of polygon in longitude / latitude: cells (1,1)..(2,2) after reprojection.
  OGRSpatialReference utm, wgs84;
  utm.importFromEPSG(32633);
  wgs84.importFromEPSG(4326);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_lonlat(
      OGRCreateCoordinateTransformation(&utm, &wgs84));
  std::vector<std::pair<double, double>> ring = {{501000, 5499000},
                                                 {503000, 5499000},
                                                 {503000, 5497000},
                                                 {501000, 5497000},
                                                 {501000, 5499000}};
  for (auto& [x, y] : ring) ASSERT_TRUE(to_lonlat->Transform(1, &x, &y));
  EXPECT_NEAR(ring[0].first, 15.01, 0.01);  // longitude first: the axis order is GIS order
  const std::string lonlat = write_polygons("lonlat.geojson", {ring});
  w = basin_cell_weights({grid}, lonlat);
  for (size_t i : {5u, 6u, 9u, 10u}) EXPECT_NEAR(w[i], 1.0, 1e-9) << i;
  EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 4.0, 1e-9);
  const BasinAverage avg = basin_average({grid, "", "2001-01-01"}, lonlat);
  EXPECT_NEAR(avg.values[0], (11 + 12 + 21 + 22) / 4.0, 1e-9);
}

TEST_F(BasinAverageTest, BadInputsAreNamed) {
  const std::string grid = write_tif("grid.tif", 4, 3, geo_gt, 4326, {ramp()});
  const std::string far =
      write_polygons("far.geojson", {{{100, 10}, {101, 10}, {101, 9}, {100, 9}, {100, 10}}});
  const std::string e = error_of([&] { basin_average({grid, "", "2001-01-01"}, far); });
  EXPECT_HAS(e, far);
  EXPECT_HAS(e, "does not overlap");
  const std::string basin =
      write_polygons("b.geojson", {{{10, 50}, {11, 50}, {11, 49}, {10, 49}, {10, 50}}});
  EXPECT_HAS(error_of([&] { basin_average({grid}, basin); }), "first_date");
  EXPECT_HAS(error_of([&] {
               basin_average({path("none.tif"), "", "2001-01-01"}, basin);
             }),
             "file not found");
  EXPECT_HAS(error_of([&] {
               basin_average({grid, "", "2001-01-01"}, path("none.shp"));
             }),
             "file not found");
  std::ofstream(path("junk.json")) << "this is not a basin";
  EXPECT_HAS(error_of([&] {
               basin_average({grid, "", "2001-01-01"}, path("junk.json"));
             }),
             "neither polygons nor a raster mask");
  EXPECT_HAS(error_of([&] { basin_average({grid, "pr", "2001-01-01"}, basin); }), "not NetCDF");
}

std::string shared(const std::string& p) {
  return std::string(TESSERA_SHARED_DATA) + "/" + p;
}

#define SKIP_WITHOUT(path) \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << (path) << " is absent"

TEST_F(BasinAverageTest, GridMetPrecipitationOverABox) {
  const std::string metdata = shared("grids/metdata.nc");
  SKIP_WITHOUT(metdata);
  const std::string box =
      write_polygons("box.geojson", {{{-85, 36}, {-84, 36}, {-84, 35}, {-85, 35}, {-85, 36}}});
  const BasinAverage avg = basin_average({metdata, "precipitation_amount"}, box);
  ASSERT_EQ(avg.values.size(), 5u);
  for (double v : avg.values) EXPECT_TRUE(std::isfinite(v) && v >= 0) << v;
  EXPECT_EQ(format_date(avg.days.front()), "2018-09-12");
  EXPECT_EQ(format_date(avg.days.back()), "2018-09-16");
  EXPECT_EQ(avg.units, "mm");
  // The box's own spherical area; the grid's 1/24 degree cells do not align with it exactly.
  const double box_km2 = degree_cell_km2(36, 35);
  EXPECT_NEAR(avg.basin_area_km2, box_km2, 0.01 * box_km2);
  EXPECT_EQ(to_daily_series(avg, "prcp").length, 5);
  // Without the variable name too: the file's one variable.
  EXPECT_EQ(basin_average({metdata}, box).values, avg.values);
}

TEST_F(BasinAverageTest, MonthlyGridIsNotADailySeries) {
  const std::string bcsd = shared("grids/bcsd_obs_1999.nc");
  SKIP_WITHOUT(bcsd);
  const std::string box =
      write_polygons("box.geojson", {{{-84, 36}, {-83, 36}, {-83, 35}, {-84, 35}, {-84, 36}}});
  EXPECT_HAS(error_of([&] { basin_average({bcsd}, box); }), "pr, tas");
  EXPECT_HAS(error_of([&] { basin_average({bcsd, "rain"}, box); }), "no variable 'rain'");
  const BasinAverage avg = basin_average({bcsd, "tas"}, box);
  ASSERT_EQ(avg.days.size(), 12u);
  EXPECT_EQ(format_date(avg.days[0]), "1999-01-31");  // 17927 days after 1950-01-01
  for (double v : avg.values) EXPECT_TRUE(std::isfinite(v) && v > -30 && v < 40) << v;
  EXPECT_THROW(to_daily_series(avg, "tas"), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::hydrology
