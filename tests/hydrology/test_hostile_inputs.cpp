// Every hydrology reader against a corpus of corrupt inputs made here from small valid files
// (no blobs in git): truncated, bit-flipped at seeded positions, and header-crafted (a NetCDF
// dimension or record count far beyond the file, a YAML alias bomb). Each must end in a one-line
// error (an exception whose message has no line break) or, for a mutation that leaves a valid
// file, a result; never a crash, a hang, or a truncated series read as whole.
#include <gtest/gtest.h>
#include <netcdf.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "forecast_files.hpp"
#include "temp_dir.hpp"
#include "tessera/hydrology/config.hpp"
#include "tessera/hydrology/readers.hpp"
#include "tessera/hydrology/weather_forecasts.hpp"

namespace tessera::hydrology {
namespace {

using Clock = std::chrono::steady_clock;

// What reading one corrupt input gave.
enum class Outcome { error, accepted };

class HostileInputs : public tessera::testing::TempDirTest {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }
  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Runs the reader on `bytes` written to `name`: an error must be one std::exception with a
  // one-line message naming something, and no read may take long (a hang).
  Outcome attempt(const std::string& name, const std::string& bytes,
                  const std::function<void(const std::string&)>& reader) {
    const std::string file = write(name, bytes);
    const auto start = Clock::now();
    Outcome outcome = Outcome::accepted;
    try {
      reader(file);
    } catch (const std::exception& e) {
      const std::string what = e.what();
      EXPECT_FALSE(what.empty()) << name;
      EXPECT_EQ(what.find('\n'), std::string::npos) << name << ": " << what;
      outcome = Outcome::error;
    } catch (...) {
      ADD_FAILURE() << name << ": threw something that is not a std::exception";
    }
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 10.0) << name;
    return outcome;
  }

  // `count` copies of `bytes`, each with 1 to 3 bytes XORed with a random non-zero mask.
  static std::vector<std::string> bit_flips(const std::string& bytes, int count, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> out;
    for (int k = 0; k < count; ++k) {
      std::string m = bytes;
      const int flips = 1 + int(rng() % 3);
      for (int f = 0; f < flips; ++f) m[rng() % m.size()] ^= char(1 + rng() % 255);
      out.push_back(m);
    }
    return out;
  }

  // Cut positions inside the file, seeded.
  static std::vector<size_t> cuts(size_t size, int count, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<size_t> out;
    for (int k = 0; k < count; ++k) out.push_back(1 + rng() % (size - 1));
    return out;
  }
};

// 40 days of a small daily table.
std::string csv_text() {
  std::string t = "date,rain,tmax,discharge\n";
  for (int d = 1; d <= 40; ++d) {
    const std::string day = d <= 31
                                ? "2001-01-" + std::string(d < 10 ? "0" : "") + std::to_string(d)
                                : "2001-02-0" + std::to_string(d - 31);
    t += day + "," + std::to_string(d % 7 * 1.25) + "," + std::to_string(3.5 + d % 5) + "," +
         std::to_string(10.0 + d) + "\n";
  }
  return t;
}

TEST_F(HostileInputs, CsvSeries) {
  const std::string valid = csv_text();
  const auto reader = [](const std::string& f) { read_csv_series(f); };
  ASSERT_EQ(attempt("valid.csv", valid, reader), Outcome::accepted);
  // Cut inside a row, a table is not whole: the row lost cells, or digits of its last number.
  // (Cut at a line's end, what is left is a whole, shorter table; a table of one row has no row
  // above to compare its last with.)
  const size_t second_row = valid.find('\n', valid.find('\n') + 1) + 1;
  int refused = 0, cut = 0;
  for (size_t at : cuts(valid.size(), 150, 1)) {
    if (at <= second_row || valid[at - 1] == '\n' || valid[at] == '\n') continue;
    ++cut;
    refused += attempt("cut.csv", valid.substr(0, at), reader) == Outcome::error;
  }
  EXPECT_EQ(refused, cut) << "a truncated table was read as whole";
  for (const std::string& m : bit_flips(valid, 300, 2)) attempt("flip.csv", m, reader);
  // Crafted: a date far in the future between daily rows, a row of 10 000 columns, a NUL.
  std::string far = valid;
  far.replace(far.find("2001-01-20"), 10, "9999-12-31");
  EXPECT_EQ(attempt("far.csv", far, reader), Outcome::error);
  EXPECT_EQ(attempt("wide.csv", valid + std::string(10000, ',') + "\n", reader), Outcome::error);
  std::string nul = valid;
  nul[nul.find("2001-01-05") + 3] = '\0';
  EXPECT_EQ(attempt("nul.csv", nul, reader), Outcome::error);
}

const char* kConfigYaml = R"(mode: forecasting
inputs:
  - csv: series.csv
    units: {discharge: m3/s, rain: mm/day}
basin_area_km2: 100
discharge: discharge
forcings: [rain, tmax]
periods:
  train: [2001-01-01, 2001-01-20]
  validation: [2001-01-21, 2001-01-30]
  test: [2001-01-31, 2001-02-09]
lead_times: [1, 2]
model: {sequence_length: 5, hidden: 4}
)";

// The same config as JSON.
std::string config_json() {
  return R"({"mode": "forecasting", "inputs": [{"csv": "series.csv",
  "units": {"discharge": "m3/s", "rain": "mm/day"}}], "basin_area_km2": 100,
  "discharge": "discharge", "forcings": ["rain", "tmax"],
  "periods": {"train": ["2001-01-01", "2001-01-20"], "validation": ["2001-01-21", "2001-01-30"],
              "test": ["2001-01-31", "2001-02-09"]},
  "lead_times": [1, 2], "model": {"sequence_length": 5, "hidden": 4}}
)";
}

TEST_F(HostileInputs, YamlAndJsonConfigs) {
  write("series.csv", csv_text());
  const auto reader = [](const std::string& f) { load_inputs(read_config(f)); };
  for (const auto& [ext, valid] : std::vector<std::pair<std::string, std::string>>{
           {".yaml", kConfigYaml}, {".json", config_json()}}) {
    ASSERT_EQ(attempt("valid" + ext, valid, reader), Outcome::accepted) << ext;
    for (size_t at : cuts(valid.size(), 100, 3)) attempt("cut" + ext, valid.substr(0, at), reader);
    for (const std::string& m : bit_flips(valid, 300, 4)) attempt("flip" + ext, m, reader);
  }
  // JSON cut inside its outer object is never valid.
  const std::string json = config_json();
  for (size_t at : cuts(json.size() - 3, 50, 5))
    EXPECT_EQ(attempt("cut.json", json.substr(0, at), reader), Outcome::error);
}

TEST_F(HostileInputs, YamlAliasBombsAndRecursionAreRefused) {
  const auto reader = [](const std::string& f) { read_config(f); };
  // A billion laughs: nine levels of ten aliases each.
  std::string bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char level = 'b'; level <= 'j'; ++level) {
    const std::string below = std::string(1, char(level - 1));
    bomb += std::string(1, level) + ": &" + level + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", *" : "*") + below;
    bomb += "]\n";
  }
  EXPECT_EQ(attempt("bomb.yaml", bomb, reader), Outcome::error);
  EXPECT_EQ(attempt("self.yaml", "inputs: &x [*x]\n", reader), Outcome::error);
  EXPECT_EQ(attempt("selfmap.yaml", "inputs: &x {a: *x}\n", reader), Outcome::error);
  EXPECT_EQ(attempt("deep.yaml", "inputs: " + std::string(100000, '[') + "\n", reader),
            Outcome::error);
  EXPECT_EQ(attempt("deep.json", std::string(200000, '['), reader), Outcome::error);
  EXPECT_EQ(attempt("key.yaml", "? [a, b]\n: c\n", reader), Outcome::error);
}

// A station file: time, q (m3/s) and rain on the time dimension, 37 days; classic or NetCDF-4.
std::string write_netcdf(const std::string& file, int format) {
  int nc = 0, time = 0, t = 0, q = 0, rain = 0;
  auto ok = [](int status) {
    if (status != NC_NOERR) throw std::runtime_error(nc_strerror(status));
  };
  ok(nc_create(file.c_str(), format | NC_CLOBBER, &nc));
  ok(nc_def_dim(nc, "time", 37, &time));
  ok(nc_def_var(nc, "time", NC_DOUBLE, 1, &time, &t));
  const std::string units = "days since 2001-01-01", m3s = "m3/s";
  ok(nc_put_att_text(nc, t, "units", units.size(), units.c_str()));
  ok(nc_def_var(nc, "q", NC_FLOAT, 1, &time, &q));
  ok(nc_put_att_text(nc, q, "units", m3s.size(), m3s.c_str()));
  ok(nc_def_var(nc, "rain", NC_DOUBLE, 1, &time, &rain));
  ok(nc_enddef(nc));
  std::vector<double> days(37), r(37);
  std::vector<float> flow(37);
  for (int d = 0; d < 37; ++d)
    days[size_t(d)] = d, r[size_t(d)] = d % 4, flow[size_t(d)] = 5.f + float(d);
  ok(nc_put_var_double(nc, t, days.data()));
  ok(nc_put_var_float(nc, q, flow.data()));
  ok(nc_put_var_double(nc, rain, r.data()));
  ok(nc_close(nc));
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The classic header stores each dimension as its name (padded to 4 bytes) then its length,
// big-endian: the 4 bytes after the first "time" are the time dimension's length.
std::string with_time_length(std::string bytes, uint32_t length) {
  const size_t at = bytes.find("time") + 4;
  for (int k = 0; k < 4; ++k) bytes[at + size_t(k)] = char(length >> (8 * (3 - k)));
  return bytes;
}

TEST_F(HostileInputs, NetcdfClassicAndNetcdf4) {
  const auto reader = [](const std::string& f) { read_netcdf_series(f); };
  for (const auto& [name, format] :
       std::vector<std::pair<std::string, int>>{{"classic", 0}, {"netcdf4", NC_NETCDF4}}) {
    const std::string valid = write_netcdf(path("made.nc"), format);
    ASSERT_EQ(attempt(name + ".nc", valid, reader), Outcome::accepted) << name;
    // A file cut short anywhere has lost data or structure.
    for (size_t at : cuts(valid.size(), 60, 6))
      EXPECT_EQ(attempt(name + "_cut.nc", valid.substr(0, at), reader), Outcome::error)
          << name << " cut at " << at << " of " << valid.size();
    for (const std::string& m : bit_flips(valid, 200, 7)) attempt(name + "_flip.nc", m, reader);
  }
  // Header-crafted: a time dimension of two billion days in a file of a few hundred bytes.
  const std::string classic = write_netcdf(path("made.nc"), 0);
  for (uint32_t length : {0x7ffffff0u, 1000000u, 38u, 0u})
    attempt("long_" + std::to_string(length) + ".nc", with_time_length(classic, length), reader);
  EXPECT_EQ(attempt("huge.nc", with_time_length(classic, 0x7ffffff0u), reader), Outcome::error);
  EXPECT_EQ(attempt("longer.nc", with_time_length(classic, 1000000u), reader), Outcome::error);
}

// 30 issue days of a wide forecast table with leads 1 to 3.
std::string forecast_table_text() {
  std::string t = "issue_date,lead,rain,tmax\n";
  for (int d = 1; d <= 30; ++d)
    for (int lead = 1; lead <= 3; ++lead)
      t += "2001-01-" + std::string(d < 10 ? "0" : "") + std::to_string(d) + "," +
           std::to_string(lead) + "," + std::to_string(d % 7 * 1.25) + "," +
           std::to_string(3.5 + lead) + "\n";
  return t;
}

TEST_F(HostileInputs, WeatherForecastTablesAndNetcdf) {
  const auto table = [](const std::string& f) { read_forecast_table(f); };
  const std::string valid = forecast_table_text();
  ASSERT_EQ(attempt("fc.csv", valid, table), Outcome::accepted);
  const size_t second_row = valid.find('\n', valid.find('\n') + 1) + 1;
  int refused = 0, cut = 0;
  for (size_t at : cuts(valid.size(), 100, 8)) {
    if (at <= second_row || valid[at - 1] == '\n' || valid[at] == '\n') continue;
    ++cut;
    refused += attempt("cut.csv", valid.substr(0, at), table) == Outcome::error;
  }
  EXPECT_EQ(refused, cut) << "a truncated forecast table was read as whole";
  for (const std::string& m : bit_flips(valid, 200, 9)) attempt("flip.csv", m, table);
  std::string far = valid;
  far.replace(far.find("2001-01-20"), 10, "9999-12-31");
  EXPECT_EQ(attempt("far.csv", far, table), Outcome::error);
  std::string long_lead = valid;
  long_lead.replace(long_lead.find(",2,"), 3, ",2000000000,");
  EXPECT_EQ(attempt("lead.csv", long_lead, table), Outcome::error);

  const auto netcdf = [](const std::string& f) { read_forecast_netcdf(f); };
  for (const bool classic : {true, false}) {
    tessera::testing::write_forecast_netcdf(path("made.nc"), {.classic = classic});
    const std::string nc = read(path("made.nc"));
    ASSERT_EQ(attempt("fc.nc", nc, netcdf), Outcome::accepted) << classic;
    for (size_t at : cuts(nc.size(), 40, 10))
      EXPECT_EQ(attempt("cut.nc", nc.substr(0, at), netcdf), Outcome::error)
          << "classic " << classic << " cut at " << at << " of " << nc.size();
    // Bit flips only in the classic format: some flips of this NetCDF-4 file crash libnetcdf
    // 4.9.0 itself (a corrupt dimension-scale reference read by HDF5's H5HG_read on the first
    // nc_inq_varndims), in any reader of it; no check before the library can see that.
    if (classic)
      for (const std::string& m : bit_flips(nc, 150, 11)) attempt("flip.nc", m, netcdf);
  }
}

}  // namespace
}  // namespace tessera::hydrology
