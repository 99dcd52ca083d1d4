// Monthly grids and basin cells of the ET workflow, on the real Tanzania 2010 grids (GLEAM,
// JPL GRACE mascons, water provinces) and on files written here.
#include <gtest/gtest.h>
#include <netcdf.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/formats/csv_table.hpp"
#include "tessera/hydrology/et/basin_cells.hpp"
#include "tessera/hydrology/et/monthly_grid.hpp"

namespace tessera::hydrology::et {
namespace {

using tessera::testing::error_of;
using tessera::testing::TempDirTest;

std::string budget(const std::string& p) {
  return std::string(TESSERA_SHARED_DATA) + "/hydrology/water_budget/" + p;
}
const std::string kGleam = budget("grids_tanzania_2010/GLEAM_data_2010_Tanzania.nc");
const std::string kGrace = budget("grids_tanzania_2010/GRACE_data_2010_Tanzania.nc");
const std::string kProvinces = budget("grids_tanzania_2010/waterProvinces.geojson");
const std::string kCells = budget("basin_cells/basin_cells_0p5deg.csv");
const std::string kGleamSeries = budget("basin_series/ET_GLEAM_monthly.csv");

#define SKIP_WITHOUT(path) \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << (path) << " is absent"

// A basin's row of a wide basin table (name, then one column per month) for the months of `year`.
std::vector<double> basin_row(const std::string& csv, const std::string& basin, int year) {
  const formats::CsvTable t = formats::read_csv_table(csv);
  const auto first = std::find(t.header.begin(), t.header.end(), std::to_string(year) + "-01-01");
  EXPECT_NE(first, t.header.end());
  for (const formats::CsvRow& row : t.rows) {
    if (row.cells[0] != basin) continue;
    std::vector<double> v;
    for (size_t c = size_t(first - t.header.begin()), k = 0; k < 12; ++c, ++k)
      v.push_back(std::stod(row.cells[c]));
    return v;
  }
  ADD_FAILURE() << basin << " is not in " << csv;
  return {};
}

// One value of a variable straight from the file, indices in the file's own dimension order.
double raw_value(const std::string& path, const char* var, std::vector<size_t> index) {
  int id = -1, v = -1;
  EXPECT_EQ(nc_open(path.c_str(), NC_NOWRITE, &id), NC_NOERR);
  EXPECT_EQ(nc_inq_varid(id, var, &v), NC_NOERR);
  double x = 0;
  EXPECT_EQ(nc_get_var1_double(id, v, index.data(), &x), NC_NOERR);
  nc_close(id);
  return x;
}

std::string global_text(const std::string& path, const char* name) {
  int id = -1;
  EXPECT_EQ(nc_open(path.c_str(), NC_NOWRITE, &id), NC_NOERR);
  size_t n = 0;
  std::string s;
  if (nc_inq_attlen(id, NC_GLOBAL, name, &n) == NC_NOERR) {
    s.resize(n);
    nc_get_att_text(id, NC_GLOBAL, name, s.data());
  }
  nc_close(id);
  return s;
}

// The data README says GLEAM over RUFIJI's cells reproduces RUFIJI's row, but neither the cell
// list nor the basin tables hold a RUFIJI; RUKWA is the basin whose cells all lie inside the
// Tanzania grid (28 cells of 0.5 degree, 4 GLEAM cells each). The tables' values match to 2e-4
// mm/month (a plain mean of the 4 quarter cells matches to 1e-5: upstream averaged them
// unweighted; the cos(lat) shares differ from it by far less than the data's precision).
TEST(EtGrids, GleamOverRukwaCellsReproducesTheBasinSeries) {
  SKIP_WITHOUT(kGleam);
  SKIP_WITHOUT(kCells);
  const MonthlyGridReader gleam({.path = kGleam});
  const std::vector<BasinCell> cells = read_basin_cells(kCells).at("RUKWA");
  ASSERT_EQ(cells.size(), 28u);
  const CellWeights w = cell_list_weights(gleam.lat(), gleam.lon(), cells);
  EXPECT_EQ(w.cells.size(), 4 * cells.size());
  EXPECT_EQ(w.outside_km2, 0);
  const double listed = std::accumulate(
      cells.begin(), cells.end(), 0.0, [](double a, const BasinCell& c) { return a + c.area_km2; });
  EXPECT_NEAR(w.area_km2, listed, 1e-6 * listed);
  const std::vector<double> expected = basin_row(kGleamSeries, "RUKWA", 2010);
  ASSERT_EQ(gleam.months().size(), 12u);
  for (size_t t = 0; t < 12; ++t) {
    EXPECT_EQ(gleam.months()[t], month_index(2010, int(t) + 1));
    EXPECT_NEAR(weighted_mean(gleam.read(t), w), expected[t], 0.1) << "month " << t + 1;
  }
}

TEST(EtGrids, ListedCellsOnAnEqualAndACoarserGrid) {
  const std::vector<BasinCell> cells = {{30.25, -5.25, 100}, {30.75, -5.25, 100}, {50, 10, 7}};
  // Same 0.5-degree grid, latitudes decreasing: one grid cell per listed cell.
  const CellWeights same = cell_list_weights({-4.75, -5.25}, {30.25, 30.75, 31.25}, cells);
  ASSERT_EQ(same.cells.size(), 2u);
  EXPECT_EQ(same.cells[0], (std::pair<size_t, double>{3, 100}));
  EXPECT_EQ(same.cells[1], (std::pair<size_t, double>{4, 100}));
  EXPECT_EQ(same.outside_km2, 7);
  // A 1-degree grid: both listed cells fall in the cell centred on 30.5, -5.5.
  const CellWeights coarse = cell_list_weights({-5.5, -4.5}, {30.5, 31.5}, cells);
  ASSERT_EQ(coarse.cells.size(), 1u);
  EXPECT_EQ(coarse.cells[0], (std::pair<size_t, double>{0, 200}));
  // Longitudes compare modulo 360.
  EXPECT_EQ(cell_list_weights({10.25}, {-309.75}, {{50.25, 10.25, 3}}).area_km2, 3);
}

TEST(EtGrids, WeightedMeanSkipsMissingCells) {
  const CellWeights w{{{0, 1}, {1, 3}, {2, 4}}, 8, 0};
  EXPECT_DOUBLE_EQ(weighted_mean({2, 4, NAN}, w), (2 * 1 + 4 * 3) / 4.0);
  EXPECT_TRUE(std::isnan(weighted_mean({NAN, NAN, NAN}, w)));
}

class EtGridFiles : public TempDirTest {};

TEST_F(EtGridFiles, BasinCellsTable) {
  std::ofstream(path("ok.csv")) << "basin,lat,lon,cell_area_km2,x\nA,1.25,2.25,10,z\nA,1.75,2.25,"
                                   "11,z\nB,1.25,2.25,12,z\n";
  const auto basins = read_basin_cells(path("ok.csv"));
  ASSERT_EQ(basins.size(), 2u);
  EXPECT_EQ(basins.at("A")[1].lat, 1.75);
  EXPECT_EQ(basins.at("B")[0].area_km2, 12);
  std::ofstream(path("nocol.csv")) << "basin,lat,lon\nA,1,2\n";
  EXPECT_HAS(error_of([&] { read_basin_cells(path("nocol.csv")); }), "no column 'cell_area_km2'");
  std::ofstream(path("text.csv")) << "basin,lat,lon,cell_area_km2\nA,1,east,3\n";
  EXPECT_HAS(error_of([&] { read_basin_cells(path("text.csv")); }), "'east' in column lon");
  std::ofstream(path("twice.csv")) << "basin,lat,lon,cell_area_km2\nA,1,2,3\nA,1,2,3\n";
  EXPECT_HAS(error_of([&] { read_basin_cells(path("twice.csv")); }), "listed twice");
}

TEST_F(EtGridFiles, WriterRoundTrip) {
  const std::vector<double> lat = {-1.25, -1.75}, lon = {30.25, 30.75, 31.25};
  const std::string out = path("et.nc");
  const std::vector<MonthIndex> months = {month_index(2010, 1), month_index(2010, 2),
                                          month_index(2010, 5)};  // a gap is fine
  const auto frame = [](double base) {
    std::vector<double> v(6);
    std::iota(v.begin(), v.end(), base);
    return v;
  };
  {
    MonthlyGridWriter w(out, lat, lon,
                        {{"et", "mm/month", "corrected evaporation"}, {"sd", "mm/month", "spread"}},
                        {{"history", "tessera test"}, {"source", "GLEAM v3.3a"}});
    for (size_t t = 0; t < months.size(); ++t) {
      std::vector<double> et = frame(10.0 * double(t)), sd = frame(0.5);
      et[4] = NAN;
      w.write(months[t], {et, sd});
    }
    EXPECT_HAS(error_of([&] { w.write(months[1], {frame(0), frame(0)}); }), "written after");
    EXPECT_HAS(error_of([&] { w.write(months[2] + 1, {frame(0)}); }), "1 frames for 2 variables");
    EXPECT_FALSE(std::filesystem::exists(out));
    w.commit();
  }
  const MonthlyGridReader et({.path = out, .variable = "et"});
  EXPECT_EQ(et.months(), months);
  EXPECT_EQ(et.lat(), lat);
  EXPECT_EQ(et.lon(), lon);
  EXPECT_EQ(et.units(), "mm/month");
  for (size_t t = 0; t < months.size(); ++t) {
    const std::vector<double> v = et.read(t);
    for (size_t i = 0; i < 6; ++i)
      if (i == 4)
        EXPECT_TRUE(std::isnan(v[i]));
      else
        EXPECT_EQ(v[i], 10.0 * double(t) + double(i));
  }
  EXPECT_EQ(MonthlyGridReader({.path = out, .variable = "sd"}).read(2)[5], 5.5);
  EXPECT_EQ(raw_value(out, "time", {1}), 14641);  // 2010-02-01, days since 1970-01-01
  EXPECT_EQ(global_text(out, "history"), "tessera test");
  EXPECT_EQ(global_text(out, "source"), "GLEAM v3.3a");
  EXPECT_EQ(global_text(out, "Conventions"), "CF-1.8");
  EXPECT_HAS(error_of([&] { MonthlyGridReader r({.path = out}); }), "several variables");
}

TEST_F(EtGridFiles, UncommittedWriterLeavesNothing) {
  {
    MonthlyGridWriter w(path("gone.nc"), {0.25}, {0.25}, {{"et", "mm", "x"}});
    w.write(month_index(2010, 1), {{1.0}});
  }
  EXPECT_EQ(files_in_dir(), 0u);
}

TEST(EtGrids, ReadsGraceAndMarksFill) {
  SKIP_WITHOUT(kGrace);
  const MonthlyGridReader grace({.path = kGrace, .variable = "lwe_thickness"});
  ASSERT_EQ(grace.months().size(), 12u);
  for (size_t t = 0; t < 12; ++t) EXPECT_EQ(grace.months()[t], month_index(2010, int(t) + 1));
  EXPECT_EQ(grace.lat().size(), 28u);
  EXPECT_EQ(grace.lon().size(), 26u);
  EXPECT_EQ(grace.lat().front(), -15.75);
  EXPECT_EQ(grace.lon().front(), 28.25);
  EXPECT_EQ(grace.units(), "cm");
  EXPECT_NEAR(grace.read(3)[10 * 26 + 7], 22.42044908781873, 1e-12);
}

TEST_F(EtGridFiles, GraceFillValuesBecomeNaN) {
  SKIP_WITHOUT(kGrace);
  const std::string copy = path("grace.nc");
  std::filesystem::copy_file(kGrace, copy);
  int id = -1, var = -1;
  ASSERT_EQ(nc_open(copy.c_str(), NC_WRITE, &id), NC_NOERR);
  ASSERT_EQ(nc_inq_varid(id, "lwe_thickness", &var), NC_NOERR);
  const size_t at[3] = {2, 5, 6};
  const double fill = -99999;
  ASSERT_EQ(nc_put_var1_double(id, var, at, &fill), NC_NOERR);
  nc_close(id);
  const std::vector<double> v =
      MonthlyGridReader({.path = copy, .variable = "lwe_thickness"}).read(2);
  EXPECT_TRUE(std::isnan(v[5 * 26 + 6]));
  EXPECT_EQ(std::count_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), 1);
}

TEST(EtGrids, GleamLonFirstReadsLatMajor) {
  SKIP_WITHOUT(kGleam);
  const MonthlyGridReader gleam({.path = kGleam});  // its one variable on lat / lon
  EXPECT_EQ(gleam.variable(), "E");
  ASSERT_EQ(gleam.lat().size(), 56u);
  ASSERT_EQ(gleam.lon().size(), 52u);
  EXPECT_EQ(gleam.lat().front(), -2.125);  // north first, as the file stores it
  const std::vector<double> frame = gleam.read(6);
  size_t missing = 0;
  for (size_t i = 0; i < 56; i += 5)
    for (size_t j = 0; j < 52; j += 3) {
      const double raw = raw_value(kGleam, "E", {6, j, i});  // the file's (time, lon, lat)
      const double got = frame[i * 52 + j];
      if (raw == -999) {
        EXPECT_TRUE(std::isnan(got));
        ++missing;
      } else {
        EXPECT_EQ(got, raw);
      }
    }
  EXPECT_GT(missing, 0u);  // the Indian Ocean, east of the coast
}

TEST_F(EtGridFiles, OneLineErrors) {
  SKIP_WITHOUT(kGrace);
  const auto one_line = [](const std::string& e, const std::string& part) {
    EXPECT_HAS(e, part);
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  };
  one_line(error_of([&] { MonthlyGridReader r({.path = path("none.nc")}); }),
           "none.nc: file not found");
  one_line(error_of([&] { MonthlyGridReader r({.path = kGrace, .variable = "et"}); }),
           "no variable 'et' (variables on lat / lon: lwe_thickness, uncertainty)");
  one_line(error_of([&] { MonthlyGridReader r({.path = kGrace, .variable = "lat"}); }),
           "does not lie on latitude and longitude");
  for (const std::string& source : {kGrace, kGleam}) {
    const std::string cut = path("cut_" + std::filesystem::path(source).filename().string());
    std::filesystem::copy_file(source, cut);
    std::filesystem::resize_file(cut, std::filesystem::file_size(cut) / 2);
    const std::string e = error_of([&] {
      const MonthlyGridReader r({.path = cut});
      for (size_t t = 0; t < r.months().size(); ++t) r.read(t);
    });
    one_line(e, cut);
  }
}

TEST_F(EtGridFiles, GeoTiffBandsAreMonths) {
  GDALAllRegister();
  const std::string tif = path("et.tif");
  {
    std::unique_ptr<GDALDataset> ds(GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
        tif.c_str(), 3, 2, 2, GDT_Float32, nullptr));
    double gt[6] = {30, 0.5, 0, -1, 0, -0.5};
    ds->SetGeoTransform(gt);
    OGRSpatialReference wgs84;
    wgs84.importFromEPSG(4326);
    ds->SetSpatialRef(&wgs84);
    for (int b = 1; b <= 2; ++b) {
      std::vector<float> v = {1, 2, 3, 4, 5, -9999};
      v[0] = float(b);
      GDALRasterBand* band = ds->GetRasterBand(b);
      band->SetNoDataValue(-9999);
      ASSERT_EQ(band->RasterIO(GF_Write, 0, 0, 3, 2, v.data(), 3, 2, GDT_Float32, 0, 0), CE_None);
    }
  }
  const MonthlyGridReader r({.path = tif, .first_month = month_index(2010, 12)});
  EXPECT_EQ(r.months(), (std::vector<MonthIndex>{month_index(2010, 12), month_index(2011, 1)}));
  EXPECT_EQ(r.lat(), (std::vector<double>{-1.25, -1.75}));
  EXPECT_EQ(r.lon(), (std::vector<double>{30.25, 30.75, 31.25}));
  const std::vector<double> v = r.read(1);
  EXPECT_EQ(v[0], 2);
  EXPECT_EQ(v[4], 5);
  EXPECT_TRUE(std::isnan(v[5]));
  EXPECT_HAS(error_of([&] { MonthlyGridReader x({.path = tif}); }), "(first_month)");
}

// A classic NetCDF file of one cell whose two time steps are `days` days after 2010-01-01.
std::string two_steps(const std::string& p, double first, double second) {
  int id = -1, t = -1, la = -1, lo = -1, tv = -1, lav = -1, lov = -1, v = -1;
  EXPECT_EQ(nc_create(p.c_str(), NC_CLOBBER, &id), NC_NOERR);
  nc_def_dim(id, "time", 2, &t);
  nc_def_dim(id, "lat", 1, &la);
  nc_def_dim(id, "lon", 1, &lo);
  nc_def_var(id, "time", NC_DOUBLE, 1, &t, &tv);
  nc_put_att_text(id, tv, "units", 22, "days since 2010-01-01");
  nc_def_var(id, "lat", NC_DOUBLE, 1, &la, &lav);
  nc_def_var(id, "lon", NC_DOUBLE, 1, &lo, &lov);
  const int dims[3] = {t, la, lo};
  nc_def_var(id, "x", NC_FLOAT, 3, dims, &v);
  nc_enddef(id);
  const double times[2] = {first, second}, zero = 0;
  const float values[2] = {1, 2};
  nc_put_var_double(id, tv, times);
  nc_put_var_double(id, lav, &zero);
  nc_put_var_double(id, lov, &zero);
  nc_put_var_float(id, v, values);
  nc_close(id);
  return p;
}

TEST_F(EtGridFiles, RefusesTwoStepsInOneMonth) {
  EXPECT_HAS(error_of([&] { MonthlyGridReader r({.path = two_steps(path("a.nc"), 0, 14)}); }),
             "time steps 0 and 1 both fall in 2010-01");
  EXPECT_HAS(error_of([&] { MonthlyGridReader r({.path = two_steps(path("b.nc"), 40, 0)}); }),
             "go backwards");
  const MonthlyGridReader gap({.path = two_steps(path("c.nc"), 15, 75)});
  EXPECT_EQ(gap.months(), (std::vector<MonthIndex>{month_index(2010, 1), month_index(2010, 3)}));
  EXPECT_EQ(gap.read(1), std::vector<double>{2});
}

// Envelope of a feature's geometry, for telling which lie wholly inside the grid.
OGREnvelope envelope(OGRFeature& f) {
  OGREnvelope e;
  f.GetGeometryRef()->getEnvelope(&e);
  return e;
}

TEST(EtGrids, PolygonWeightsMatchProvinceAreas) {
  SKIP_WITHOUT(kGrace);
  SKIP_WITHOUT(kProvinces);
  const MonthlyGridReader grace({.path = kGrace, .variable = "lwe_thickness"});
  const auto weights = polygon_weights(grace.lat(), grace.lon(), kProvinces, "watprov");
  ASSERT_EQ(weights.size(), 15u);
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(
      GDALDataset::Open(kProvinces.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  ASSERT_TRUE(ds);
  int inside = 0;
  for (const auto& f : *ds->GetLayer(0)) {
    const OGREnvelope e = envelope(*f);
    if (e.MinX < 28 || e.MaxX > 41 || e.MinY < -16 || e.MaxY > -2) continue;  // the grid's extent
    ++inside;
    const double km2 = f->GetFieldAsDouble("km2");
    const CellWeights& w = weights.at(f->GetFieldAsString("watprov"));
    EXPECT_NEAR(w.area_km2, km2, 0.05 * km2) << f->GetFieldAsString("watprov");
    EXPECT_NEAR(weighted_mean(std::vector<double>(28 * 26, 3.0), w), 3.0, 1e-12);
  }
  EXPECT_EQ(inside, 13);
  // Features of one name merged: Mbeya is in two major basins.
  const auto regions = polygon_weights(grace.lat(), grace.lon(), kProvinces, "REGION");
  EXPECT_NEAR(regions.at("Mbeya").area_km2,
              weights.at("Tanzania_Mbeya_Africa, East Central Coast").area_km2 +
                  weights.at("Tanzania_Mbeya_Rift Valley").area_km2,
              1.0);
  EXPECT_HAS(error_of([&] { polygon_weights(grace.lat(), grace.lon(), kProvinces, "nope"); }),
             "has no field 'nope'");
}

}  // namespace
}  // namespace tessera::hydrology::et
