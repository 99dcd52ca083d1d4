// Run configs: YAML and JSON read the same, paths resolve from the config's folder, every
// mistake is named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/hydrology/config.hpp"

namespace tessera::hydrology {
namespace {

using tessera::testing::TempDirTest;

class Config : public TempDirTest {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(path(name)) << text;
    return path(name);
  }
  // The message of the error reading `text` as a YAML config.
  std::string error_of(const std::string& text) {
    return tessera::testing::error_of([&] { read_config(write("bad.yaml", text)); });
  }
};

const char* kYaml = R"(mode: forecasting
inputs:
  - netcdf: data/salmon.nc
    variables: [rain, qobs]
    missing_values: [-1.2345]
  - camels: camels
    basin: 01022500
basin_area_km2: 4250.6
discharge: qobs
forcings: [rain, prcp]
gr4j: {precipitation: [rain], evaporation: pet, temperature: [tmin, tmax]}
periods:
  train: [1954-01-01, 1990-12-31]
  validation: [1991-01-01, 2000-12-31]
  test: [2001-01-01, 2010-12-31]
lead_times: [1, 3]
model: {sequence_length: 100, hidden: 8, ensemble: 2, lr: 0.01}
)";

TEST_F(Config, YamlIsReadWithPathsFromItsFolder) {
  const HydrologyConfig c = read_config(write("run.yaml", kYaml));
  EXPECT_EQ(c.mode, RunMode::forecasting);
  ASSERT_EQ(c.inputs.size(), 2u);
  EXPECT_EQ(c.inputs[0].path, path("data/salmon.nc"));
  EXPECT_EQ(c.inputs[0].variables, (std::vector<std::string>{"rain", "qobs"}));
  EXPECT_EQ(c.inputs[0].missing_values, std::vector<double>{-1.2345});
  EXPECT_EQ(c.inputs[1].kind, InputSource::Kind::camels);
  EXPECT_EQ(c.inputs[1].basin, "01022500");  // leading zero kept, not read as a number
  EXPECT_EQ(c.basin_area_km2, 4250.6);
  EXPECT_EQ(c.lead_times, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(c.train.first, parse_date("1954-01-01"));
  EXPECT_EQ(c.test.length(), 3652);
  EXPECT_EQ(c.model.sequence_length, 100);
  EXPECT_EQ(c.model.hidden, 8);
  EXPECT_EQ(c.model.ensemble, 2);
  EXPECT_DOUBLE_EQ(c.model.lr, 0.01);
  EXPECT_EQ(c.model.epochs, ModelSettings{}.epochs);  // defaults stay
  EXPECT_EQ(c.gr4j.temperature, (std::vector<std::string>{"tmin", "tmax"}));
  // The stored config has absolute paths, so it parses the same from anywhere.
  const HydrologyConfig again = parse_config(c.json, "/somewhere/else");
  EXPECT_EQ(again.inputs[0].path, c.inputs[0].path);
  EXPECT_EQ(again.inputs[1].basin, "01022500");
}

TEST_F(Config, JsonReadsTheSameAsYaml) {
  const std::string json = R"({"mode": "forecasting",
    "inputs": [{"netcdf": "data/salmon.nc", "variables": ["rain", "qobs"],
                "missing_values": [-1.2345]},
               {"camels": "camels", "basin": "01022500"}],
    "basin_area_km2": 4250.6, "discharge": "qobs", "forcings": ["rain", "prcp"],
    "gr4j": {"precipitation": ["rain"], "evaporation": "pet", "temperature": ["tmin", "tmax"]},
    "periods": {"train": ["1954-01-01", "1990-12-31"], "validation": ["1991-01-01", "2000-12-31"],
                "test": ["2001-01-01", "2010-12-31"]},
    "lead_times": [1, 3], "model": {"sequence_length": 100, "hidden": 8, "ensemble": 2,
                                    "lr": 0.01}})";
  const HydrologyConfig a = read_config(write("run.json", json));
  const HydrologyConfig b = read_config(write("run.yaml", kYaml));
  EXPECT_EQ(a.json, b.json);
}

TEST_F(Config, LeadTimesAreSortedAndGaugeNumbersAreNames) {
  std::string y = kYaml;
  y.replace(y.find("lead_times: [1, 3]"), 18, "lead_times: [3, 1, 2]");
  y.replace(y.find("basin: 01022500"), 15, "basin: 12010000");
  const HydrologyConfig c = read_config(write("run.yaml", y));
  EXPECT_EQ(c.lead_times, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(c.inputs[1].basin, "12010000");
}

TEST_F(Config, SimulationHasLeadZero) {
  std::string y = kYaml;
  y.replace(y.find("mode: forecasting"), 17, "mode: simulation");
  y.erase(y.find("lead_times: [1, 3]\n"), 19);
  EXPECT_EQ(read_config(write("sim.yaml", y)).lead_times, std::vector<int64_t>{0});
}

TEST_F(Config, MistakesAreNamed) {
  auto with = [](const std::string& from, const std::string& to) {
    std::string y = kYaml;
    y.replace(y.find(from), from.size(), to);
    return y;
  };
  EXPECT_NE(error_of(with("lead_times: [1, 3]", "lead_time: [1, 3]")).find("lead_time: unknown"),
            std::string::npos);
  EXPECT_NE(error_of(with("hidden: 8", "hiden: 8")).find("model.hiden: unknown setting"),
            std::string::npos);
  EXPECT_NE(error_of(with("1990-12-31", "1990-13-31")).find("periods.train"), std::string::npos);
  EXPECT_NE(error_of(with("test: [2001-01-01", "test: [1980-01-01")).find("train and test overlap"),
            std::string::npos);
  EXPECT_NE(error_of(with("mode: forecasting", "mode: nowcast")).find("mode"), std::string::npos);
  EXPECT_NE(error_of(with("lead_times: [1, 3]", "lead_times: [0]")).find("lead_times"),
            std::string::npos);
  EXPECT_NE(error_of(with("mode: forecasting", "mode: simulation")).find("only forecasting"),
            std::string::npos);
  EXPECT_NE(error_of(with("hidden: 8", "hidden: many")).find("model.hidden"), std::string::npos);
  EXPECT_NE(error_of(with("  - camels: camels\n    basin: 01022500\n", "  - sql: db\n"))
                .find("inputs[1]"),
            std::string::npos);
  EXPECT_NE(error_of("inputs: [unclosed").find("not valid YAML"), std::string::npos);
  EXPECT_NE(error_of(with("evaporation: pet", "evaporation: oudin")).find("gr4j.latitude"),
            std::string::npos);
  EXPECT_NE(
      error_of(with("validation: [1991-01-01, 2000-12-31]", "validation: [1991-01-01, 2001-06-30]"))
          .find("validation and test overlap"),
      std::string::npos);
  EXPECT_NE(error_of(with("lead_times: [1, 3]", "lead_times: [3, 1, 3]")).find("twice"),
            std::string::npos);
  EXPECT_NE(
      error_of(with("evaporation: pet, ", "")).find("gr4j: needs precipitation and evaporation"),
      std::string::npos);
  EXPECT_NE(error_of(with("temperature: [tmin, tmax]", "snowfall: snow")).find("gr4j.snowfall"),
            std::string::npos);
  EXPECT_HAS(tessera::testing::error_of([&] { read_config(path("none.yaml")); }), "no such file");
  // Absurd sizes are refused before anything is allocated for them.
  EXPECT_HAS(error_of(with("ensemble: 2", "ensemble: 5000000")),
             "model.ensemble: must be 1 to 100, not 5000000");
  EXPECT_HAS(error_of(with("sequence_length: 100", "sequence_length: 1000000000000")),
             "model.sequence_length: must be 1 to 3660");
  EXPECT_HAS(error_of(with("basin_area_km2: 4250.6", "basin_area_km2: 4.25e12")),
             "basin_area_km2: must be a basin's area");
}

TEST_F(Config, AnchorsAndAliasesReadWithinLimits) {
  std::string y = kYaml;
  y.replace(y.find("forcings: [rain, prcp]"), 22, "forcings: &f [rain, prcp]");
  y.replace(y.find("precipitation: [rain]"), 21, "precipitation: *f");
  y.replace(y.find("missing_values: [-1.2345]"), 25,
            "missing_values: [-1.2345]\n    units: {rain: mm/day}");
  const HydrologyConfig c = read_config(write("alias.yaml", y));
  EXPECT_EQ(c.gr4j.precipitation, (std::vector<std::string>{"rain", "prcp"}));
  EXPECT_EQ(c.inputs[0].units.at("rain"), "mm/day");
  // A key given twice would silently take one of the two.
  EXPECT_HAS(error_of(y + "discharge: q2\n"), "the key 'discharge' appears twice");
  EXPECT_HAS(error_of("inputs: &x [*x]\n"), "alias refers to the node that holds it");
  EXPECT_HAS(error_of("inputs: " + std::string(1000, '[') + std::string(1000, ']')),
             "nested more than 64 levels");
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_HAS(tessera::testing::error_of([&] { read_config(write("deep.json", deep)); }),
             "nested more than 64 levels");
}

// A gridded forcing named in a config arrives in the series as its basin average, beside a
// station CSV, with the discharge converted to mm/day.
TEST_F(Config, GridInputsAreAveragedOverTheBasin) {
  const std::string metdata = std::string(TESSERA_SHARED_DATA) + "/grids/metdata.nc";
  if (!std::filesystem::exists(metdata)) GTEST_SKIP() << metdata << " is absent";
  write("basin.geojson", R"({"type": "FeatureCollection", "features": [{"type": "Feature",
    "properties": {}, "geometry": {"type": "Polygon", "coordinates":
    [[[-85, 36], [-84, 36], [-84, 35], [-85, 35], [-85, 36]]]}}]})");
  write("q.csv",
        "date,q\n2018-09-12,10\n2018-09-13,12\n2018-09-14,11\n2018-09-15,9\n"
        "2018-09-16,8.64\n");
  const HydrologyConfig c = read_config(
      write("grid.yaml",
            "mode: simulation\n"
            "inputs:\n"
            "  - grid: " +
                metdata +
                "\n"
                "    variable: precipitation_amount\n"
                "    basin: basin.geojson\n"
                "    name: precip\n"
                "  - csv: q.csv\n"
                "    units: {q: m3/s}\n"
                "basin_area_km2: 100\n"
                "discharge: q\n"
                "forcings: [precip]\n"
                "periods: {train: [2018-09-12, 2018-09-13], validation: [2018-09-14, 2018-09-14],\n"
                "          test: [2018-09-15, 2018-09-16]}\n"));
  EXPECT_EQ(c.inputs[0].shape, path("basin.geojson"));
  const TimeSeries s = load_inputs(c);
  EXPECT_EQ(s.first, parse_date("2018-09-12"));
  EXPECT_EQ(s.length, 5);
  const BasinAverage direct =
      basin_average({metdata, "precipitation_amount"}, path("basin.geojson"));
  EXPECT_EQ(s.at("precip"), direct.values);
  EXPECT_NEAR(s.at("q")[4], 8.64 * 86.4 / 100, 1e-12);
  EXPECT_EQ(s.variable("q").units, "mm/day");
}

// Several basins: each its inputs and attributes, read as one-basin configs; mistakes named.
TEST_F(Config, BasinsThresholdsAndForecasts) {
  std::string y = kYaml;
  const size_t inputs = y.find("inputs:"), area_end = y.find("discharge: qobs");
  y.replace(inputs, area_end - inputs,
            "attributes: [aridity]\n"
            "basins:\n"
            "  - {id: 01022500, inputs: [{camels: camels, basin: 01022500}], latitude: 44.8}\n"
            "  - {id: b, inputs: [{csv: b.csv}], basin_area_km2: 120, attributes: {aridity: 0.4},\n"
            "     held_out: true}\n");
  y += "thresholds: [{name: alert, value: 5, units: mm/day}]\n"
       "forecasts: {variables: [rain], csv: fc.csv, lead_column: step}\n";
  const HydrologyConfig c = read_config(write("basins.yaml", y));
  ASSERT_EQ(c.basins.size(), 2u);
  EXPECT_EQ(c.basins[0].id, "01022500");  // a gauge number is a name
  EXPECT_TRUE(c.basins[1].held_out);
  const HydrologyConfig b = basin_config(c, 1);
  EXPECT_EQ(b.inputs.front().path, path("b.csv"));
  EXPECT_EQ(b.basin_area_km2, 120);
  EXPECT_TRUE(b.basins.empty());
  EXPECT_EQ(basin_config(c, 0).gr4j.latitude, 44.8);
  EXPECT_EQ(basin_attributes(c, 1), std::vector<double>{0.4});
  EXPECT_DOUBLE_EQ(threshold_mm_day(c.thresholds.at(0), 0), 5);
  EXPECT_EQ(c.forecasts.kind, ForecastSource::Kind::table);
  EXPECT_EQ(c.forecasts.table.lead_column, "step");
  EXPECT_EQ(c.forecasts.path, path("fc.csv"));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string bad = y;
    bad.replace(bad.find(from), from.size(), to);
    return bad;
  };
  EXPECT_NE(error_of(with("id: b", "id: 01022500")).find("names two basins"), std::string::npos);
  EXPECT_NE(error_of(with("attributes: [aridity]\n", "inputs: [{csv: x.csv}]\n"))
                .find("inputs: goes inside each of the basins"),
            std::string::npos);
  EXPECT_NE(error_of(with("units: mm/day}", "units: furlongs}")).find("thresholds[0].units"),
            std::string::npos);
  EXPECT_NE(error_of(with("value: 5", "value: -5")).find("0 or more"), std::string::npos);
  EXPECT_NE(error_of(with("variables: [rain]", "variables: [sun]")).find("not one of the forcings"),
            std::string::npos);
  EXPECT_NE(error_of(with("csv: fc.csv", "hindcast: oracle")).find("perfect or noisy"),
            std::string::npos);
  // The CAMELS basin has no attribute file under "camels" here: the error names basin and file.
  EXPECT_NE(tessera::testing::error_of([&] { basin_attributes(c, 0); }).find("camels"),
            std::string::npos);
}

}  // namespace
}  // namespace tessera::hydrology
