// ET correction by water-budget closure: the budget by hand, the sum-aggregated loss against
// finite differences, a planted bias recovered from basin residuals alone, held-out basins kept
// out of training, and the corrected grid read back with its attributes.
#include <gtest/gtest.h>
#include <netcdf.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <sstream>

#include "../temp_dir.hpp"
#include "tessera/hydrology/et/closure_loss.hpp"
#include "tessera/hydrology/et/et_evaluation.hpp"
#include "tessera/hydrology/et/et_workflow.hpp"
#include "tessera/hydrology/et/monthly_grid.hpp"

namespace tessera::hydrology::et {
namespace {

using testing::TempDirTest;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A wide basin table: a row per basin, one column per month from 2010-01.
std::string wide(const std::vector<std::string>& basins,
                 const std::vector<std::vector<double>>& rows) {
  std::ostringstream s;
  s << "name";
  for (size_t m = 0; m < rows[0].size(); ++m)
    s << ',' << format_month(month_index(2010, 1) + int64_t(m)) << "-01";
  s << '\n';
  for (size_t b = 0; b < basins.size(); ++b) {
    s << basins[b];
    for (double v : rows[b]) {
      s << ',';
      if (std::isnan(v))
        s << "NA";
      else
        s << v;
    }
    s << '\n';
  }
  return s.str();
}

class EtClosure : public TempDirTest {};

TEST_F(EtClosure, ThreeBasinBudgetByHand) {
  const std::vector<std::string> basins = {"A", "B", "C"};
  write(path("et.csv"), wide(basins, {{10, 20, 30, 40}, {5, 5, 5, 5}, {1, 2, 3, 4}}));
  write(path("p.csv"), wide(basins, {{40, 60, 80, 100}, {10, 10, 10, 10}, {8, 8, 8, 8}}));
  write(path("r.csv"), wide(basins, {{4, 8, 12, 16}, {2, 2, 2, 2}, {0, 0, 0, 0}}));
  // Long layout for storage: anomalies, differenced by the budget.
  write(path("s.csv"),
        "basin,date,value\nA,2010-01,0\nA,2010-02,10\nA,2010-03,30\nA,2010-04,60\n"
        "B,2010-01,0\nB,2010-02,0\nB,2010-03,0\nB,2010-04,0\n"
        "C,2010-01,5\nC,2010-02,5\nC,2010-03,NA\nC,2010-04,5\n");
  write(path("c.yaml"),
        "evapotranspiration: et.csv\nprecipitation: p.csv\nrunoff: r.csv\nstorage: s.csv\n"
        "uncertainty: {precipitation: 0.1, runoff: 0, storage: 2}\n");
  const WaterBudget w = load_water_budget(read_budget_config(path("c.yaml")));
  ASSERT_EQ(w.basins, basins);
  // Storage needs a month either side: residuals for 2010-02 and 2010-03 only.
  EXPECT_EQ(w.first, month_index(2010, 2));
  ASSERT_EQ(w.months, 2);
  // A, 2010-02: P~ = 60, R~ = 8, ET~ = 20, dS = (30 - 0) / 2 = 15 -> 60 - 8 - 20 - 15 = 17.
  EXPECT_NEAR(w.residual(0, 0), 17, 1e-9);
  // A, 2010-03: P~ = 80, R~ = 12, ET~ = 30, dS = (60 - 10) / 2 = 25 -> 13.
  EXPECT_NEAR(w.residual(0, 1), 13, 1e-9);
  EXPECT_NEAR(w.residual(1, 0), 10 - 2 - 5 - 0, 1e-9);
  // C, 2010-02: storage of 2010-03 missing -> dS (S[t+1] - S[t-1]) is missing.
  EXPECT_TRUE(std::isnan(w.residual(2, 0)));
  EXPECT_NEAR(w.residual(2, 1), 8 - 0 - 3 - 0, 1e-9);
  // sigma = hypot(0.1 P~, 2) with no runoff error.
  EXPECT_NEAR(w.sigma.at(0, 0), std::hypot(6.0, 2.0), 1e-9);
}

TEST_F(EtClosure, BadConfigsAreOneLineErrors) {
  write(path("t.csv"), wide({"A"}, {{1, 2, 3}}));
  write(path("missing.yaml"), "evapotranspiration: t.csv\nprecipitation: t.csv\nstorage: t.csv\n");
  write(path("both.yaml"),
        "evapotranspiration: t.csv\nprecipitation: t.csv\nrunoff: t.csv\nstorage: t.csv\n"
        "storage_change: t.csv\n");
  write(path("typo.yaml"),
        "evapotranspiration: t.csv\nprecipitation: t.csv\nrunoff: t.csv\nstorage: t.csv\n"
        "perod: [2010-01, 2010-02]\n");
  write(path("bad.csv"), "name,2010-01-01,2010-03-01\nA,1,2\n");
  write(path("gap.yaml"),
        "evapotranspiration: bad.csv\nprecipitation: t.csv\nrunoff: t.csv\nstorage: t.csv\n");
  const auto error_of = [&](const std::string& f) {
    try {
      load_water_budget(read_budget_config(path(f)));
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("missing.yaml").find("runoff: missing"), std::string::npos);
  EXPECT_NE(error_of("both.yaml").find("give one of storage"), std::string::npos);
  EXPECT_NE(error_of("typo.yaml").find("perod"), std::string::npos);
  EXPECT_NE(error_of("gap.yaml").find("not the month after"), std::string::npos);
  for (const char* f : {"missing.yaml", "both.yaml", "typo.yaml", "gap.yaml"})
    EXPECT_EQ(error_of(f).find('\n'), std::string::npos) << f;
}

TEST(EtClosureLoss, GradientMatchesFiniteDifferences) {
  // Two basins over three cells (cell 1 shared), four residual months: 6 rows per cell.
  const int64_t months = 4;
  const BasinShares basins = {{{0, 0.7}, {1, 0.3}}, {{1, 0.5}, {2, 0.5}}};
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> et(18), out(18);
  for (size_t i = 0; i < et.size(); ++i) et[i] = 30 + 20 * u(rng), out[i] = u(rng);
  std::vector<ClosureSample> samples;
  for (size_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < months; ++t)
      samples.push_back(
          {.basin = b, .t = t, .target = 35 + 10 * u(rng), .weight = 1 + u(rng) * 0.5});
  const ClosureLoss loss = closure_loss(et, out, 0.2, basins, months, samples);
  for (size_t i = 0; i < out.size(); ++i) {
    const double h = 1e-6;
    std::vector<double> up = out, down = out;
    up[i] += h, down[i] -= h;
    const double fd = (closure_loss(et, up, 0.2, basins, months, samples).value -
                       closure_loss(et, down, 0.2, basins, months, samples).value) /
                      (2 * h);
    EXPECT_NEAR(loss.grad[i], fd, 1e-6 * std::max(1.0, std::abs(fd))) << "row " << i;
  }
  EXPECT_GT(loss.value, 0);
}

// Synthetic basins whose product misses ET by a planted, climate-dependent bias: 15% low in
// wet basins, 10% high in dry ones. The model sees only basin closure residuals.
class PlantedBias : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0, 1);
    std::vector<std::vector<double>> et, p, r, ds;
    std::ostringstream cells;
    cells << "basin,lon,lat,cell_area_km2\n";
    for (int b = 0; b < 40; ++b) {
      std::ostringstream name;
      name << 'B' << b;
      basins.push_back(name.str());
      const bool wet = b % 2 == 0;
      const double level = wet ? 90 : 30;
      std::vector<double> e, pp, rr, s;
      for (int m = 0; m < 48; ++m) {
        const double true_et = level * (1 + 0.3 * std::sin(2 * M_PI * m / 12)) + 2 * noise(rng);
        const double product = true_et / (wet ? 0.85 : 1.10);
        const double precip = true_et * (wet ? 1.6 : 1.2) + 3 * noise(rng);
        e.push_back(product), pp.push_back(precip), rr.push_back(precip - true_et), s.push_back(0);
      }
      et.push_back(e), p.push_back(pp), r.push_back(rr), ds.push_back(s);
      cells << basins.back() << ',' << -60 + 3 * b << ',' << b % 7 << ",1000\n";
    }
    write(path("et.csv"), wide(basins, et));
    write(path("p.csv"), wide(basins, p));
    write(path("r.csv"), wide(basins, r));
    write(path("ds.csv"), wide(basins, ds));
    write(path("cells.csv"), cells.str());
    write(path("c.yaml"),
          "evapotranspiration: et.csv\nprecipitation: p.csv\nrunoff: r.csv\n"
          "storage_change: ds.csv\nbasin_cells: cells.csv\nfeatures: {P: p.csv}\n"
          "model: {steps: 300, folds: 4, max_correction: 0.3}\n");
  }
  std::vector<std::string> basins;
};

TEST_F(PlantedBias, HeldOutBasinsRecoverIt) {
  const EtConfig c = read_et_config(path("c.yaml"));
  const EtData d = load_et_data(c);
  const std::vector<int64_t> fold = basin_folds(d.budget.basins, 4, c.model.seed);
  std::vector<size_t> train, held;
  for (size_t b = 0; b < fold.size(); ++b) (fold[b] == 0 ? held : train).push_back(b);
  EtCorrectionModel m = train_et_model(d, train, c.model);
  const std::vector<double> corrected = corrected_et(m, d);
  const size_t row = size_t(d.budget.months + 2);
  for (size_t b : held) {
    const bool wet = b % 2 == 0;
    double ratio = 0;
    for (size_t k = 1; k + 1 < row; ++k)
      ratio += corrected[b * row + k] / d.budget.evapotranspiration.at(b, int64_t(k));
    EXPECT_NEAR(ratio / double(row - 2), wet ? 0.85 : 1.10, 0.03) << d.budget.basins[b];
  }
  const ClosureScores s = score_closure("network", d.budget, corrected, held, Towers{});
  EXPECT_GT(s.reduction, 0.5);
  EXPECT_EQ(s.share_improved, 1.0);
}

TEST_F(PlantedBias, HeldOutBasinsNeverReachTraining) {
  const std::string model = path("m.h5");
  const EtTrainingReport r =
      train_et_to_file({.config = path("c.yaml"), .output = model, .fold = 1});
  EXPECT_EQ(r.training_basins + r.held_out_basins, 40);
  EtCorrectionModel m = load_et_model(model);
  const std::set<std::string> trained(m.training_basins.begin(), m.training_basins.end());
  for (const std::string& b : m.held_out_basins) EXPECT_EQ(trained.count(b), 0u) << b;
  EXPECT_EQ(m.held_out_basins.size(), 10u);

  // Whatever the held-out basins' data say, the model is the same: rewrite their ET as noise.
  const EtConfig c = read_et_config(path("c.yaml"));
  EtData d = load_et_data(c);
  EtData noisy = load_et_data(c);
  const std::set<std::string> held(m.held_out_basins.begin(), m.held_out_basins.end());
  std::vector<size_t> train;
  for (size_t b = 0; b < d.budget.basins.size(); ++b) {
    if (!held.count(d.budget.basins[b])) {
      train.push_back(b);
      continue;
    }
    for (int64_t k = 0; k < d.budget.months + 2; ++k)
      noisy.budget.precipitation.values[b * size_t(d.budget.months + 2) + size_t(k)] =
          1000 + double(k);
  }
  EtCorrectionModel a = train_et_model(d, train, c.model);
  EtCorrectionModel b = train_et_model(noisy, train, c.model);
  EXPECT_EQ(corrected_et(a, d), corrected_et(b, d));

  // A model trained on every basin has nothing held out to score.
  train_et_to_file({.config = path("c.yaml"), .output = path("all.h5"), .fold = -1});
  EXPECT_THROW(evaluate_et_to_files({.model = path("all.h5"), .output = path("s.json")}),
               std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(path("s.json")));
}

TEST_F(PlantedBias, CorrectedGridReadsBackWithAttributes) {
  write(path("only.yaml"),
        "evapotranspiration: et.csv\nprecipitation: p.csv\nrunoff: r.csv\n"
        "storage_change: ds.csv\nbasin_cells: cells.csv\nmodel: {steps: 50}\n");
  train_et_to_file({.config = path("only.yaml"), .output = path("m.h5")});
  const std::vector<double> lat = {1, 2}, lon = {-50, -49, -48};
  {
    MonthlyGridWriter w(path("in.nc"), lat, lon, {{"E", "mm/month", "evaporation"}});
    for (int m = 0; m < 3; ++m)
      w.write(month_index(2011, 4 + m), {{30, 40, NAN, 50, 60, 70 + double(m)}});
    w.commit();
  }
  const EtCorrectionReport r =
      correct_et_to_file({.model = path("m.h5"), .input = path("in.nc"), .output = path("out.nc")});
  EXPECT_EQ(r.months, 3);
  EXPECT_EQ(r.cells, 6);
  const MonthlyGridReader in({.path = path("in.nc")});
  const MonthlyGridReader et({.path = path("out.nc"), .variable = "et_corrected"});
  const MonthlyGridReader dc({.path = path("out.nc"), .variable = "et_correction"});
  EXPECT_EQ(et.months(), in.months());
  EXPECT_EQ(et.units(), "mm/month");
  for (size_t t = 0; t < 3; ++t) {
    const std::vector<double> x = in.read(t), y = et.read(t), d = dc.read(t);
    for (size_t c = 0; c < x.size(); ++c) {
      if (std::isnan(x[c])) {
        EXPECT_TRUE(std::isnan(y[c]));  // missing stays missing, written as _FillValue
        continue;
      }
      EXPECT_NEAR(y[c] - x[c], d[c], 1e-4);
      EXPECT_LE(std::abs(d[c]), 0.15 * x[c] + 1e-4);  // the bound
    }
  }
  int id = -1;
  ASSERT_EQ(nc_open(path("out.nc").c_str(), NC_NOWRITE, &id), NC_NOERR);
  int var = -1;
  EXPECT_EQ(nc_inq_varid(id, "et_corrected", &var), NC_NOERR);
  float fill = 0;
  EXPECT_EQ(nc_get_att_float(id, var, "_FillValue", &fill), NC_NOERR);
  size_t n = 0;
  EXPECT_EQ(nc_inq_attlen(id, NC_GLOBAL, "history", &n), NC_NOERR);
  EXPECT_EQ(nc_inq_attlen(id, NC_GLOBAL, "model", &n), NC_NOERR);
  nc_close(id);
  // The output may not be the input, and a refused run leaves the input as it was.
  const auto bytes = [&] {
    std::ifstream f(path("in.nc"), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const std::string before = bytes();
  EXPECT_THROW(
      correct_et_to_file({.model = path("m.h5"), .input = path("in.nc"), .output = path("in.nc")}),
      std::exception);
  EXPECT_EQ(bytes(), before);
}

}  // namespace
}  // namespace tessera::hydrology::et

namespace tessera::hydrology::et {
namespace {

// A gridded product with a bias that differs from cell to cell inside basins: wet cells (more
// rain) are 10% high, dry ones 10% low, and each basin of four cells mixes them in its own
// proportion. Basin closure alone can only tell the two apart through the sum over cells, so
// recovering the cell pattern checks the sum-aggregated training end to end.
class GriddedBias : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    const int nlat = 4, nlon = 24;
    for (int i = 0; i < nlat; ++i) lat.push_back(10.25 + 0.5 * i);
    for (int j = 0; j < nlon; ++j) lon.push_back(20.25 + 0.5 * j);
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(0, 1);
    wet.resize(size_t(nlat * nlon));
    for (size_t c = 0; c < wet.size(); ++c) wet[c] = u(rng) < 0.5;
    std::ostringstream cells;
    cells << "basin,lon,lat,cell_area_km2\n";
    // Basins of 2 x 2 cells.
    for (int i = 0; i < nlat; i += 2)
      for (int j = 0; j < nlon; j += 2)
        for (int di = 0; di < 2; ++di)
          for (int dj = 0; dj < 2; ++dj)
            cells << "G" << i << "_" << j << "," << lon[size_t(j + dj)] << ","
                  << lat[size_t(i + di)] << ",3000\n";
    write(path("cells.csv"), cells.str());
    MonthlyGridWriter et(path("et.nc"), lat, lon, {{"E", "mm/month", "product"}});
    MonthlyGridWriter p(path("p.nc"), lat, lon, {{"P", "mm/month", "rain"}});
    MonthlyGridWriter r(path("r.nc"), lat, lon, {{"R", "mm/month", "runoff"}});
    std::normal_distribution<double> noise(0, 1);
    for (int m = 0; m < 36; ++m) {
      std::vector<double> e, pp, rr;
      for (size_t c = 0; c < wet.size(); ++c) {
        const double base = (wet[c] ? 80 : 40) * (1 + 0.3 * std::sin(2 * M_PI * m / 12));
        const double truth = base + noise(rng);
        const double rain = truth * (wet[c] ? 1.5 : 1.2);
        e.push_back(truth * (wet[c] ? 1.1 : 0.9)), pp.push_back(rain), rr.push_back(rain - truth);
      }
      et.write(month_index(2010, 1) + m, {e});
      p.write(month_index(2010, 1) + m, {pp});
      r.write(month_index(2010, 1) + m, {rr});
    }
    et.commit(), p.commit(), r.commit();
    std::ostringstream ds;
    ds << "basin,date,value\n";
    for (int i = 0; i < nlat; i += 2)
      for (int j = 0; j < nlon; j += 2)
        for (int m = 0; m < 36; ++m)
          ds << "G" << i << "_" << j << "," << format_month(month_index(2010, 1) + m) << ",0\n";
    write(path("ds.csv"), ds.str());
    write(path("c.yaml"),
          "evapotranspiration: {grid: et.nc, basins: cells.csv}\n"
          "precipitation: {grid: p.nc, basins: cells.csv}\n"
          "runoff: {grid: r.nc, basins: cells.csv}\n"
          "storage_change: ds.csv\nbasin_cells: cells.csv\nfeatures: {P: {grid: p.nc}}\n"
          "model: {steps: 400}\n");
  }
  std::vector<double> lat, lon;
  std::vector<bool> wet;
};

TEST_F(GriddedBias, CellsLearnWhatOnlyBasinsTell) {
  const EtTrainingReport t =
      train_et_to_file({.config = path("c.yaml"), .output = path("m.h5"), .fold = 0});
  ASSERT_TRUE(t.held_out);
  EXPECT_GT(t.held_out->reduction, 0.5);
  correct_et_to_file({.model = path("m.h5"),
                      .input = path("et.nc"),
                      .output = path("out.nc"),
                      .features = {"P=" + path("p.nc")}});
  const MonthlyGridReader in({.path = path("et.nc")});
  const MonthlyGridReader out({.path = path("out.nc"), .variable = "et_corrected"});
  double wet_ratio = 0, dry_ratio = 0;
  int64_t wet_n = 0, dry_n = 0;
  for (size_t m = 0; m < in.months().size(); ++m) {
    const std::vector<double> x = in.read(m), y = out.read(m);
    for (size_t c = 0; c < x.size(); ++c)
      (wet[c] ? wet_ratio : dry_ratio) += y[c] / x[c], ++(wet[c] ? wet_n : dry_n);
  }
  EXPECT_NEAR(wet_ratio / double(wet_n), 1 / 1.1, 0.03);
  EXPECT_NEAR(dry_ratio / double(dry_n), 1 / 0.9, 0.03);
}

}  // namespace
}  // namespace tessera::hydrology::et
