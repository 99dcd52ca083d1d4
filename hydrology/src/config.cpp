#include "tessera/hydrology/config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "tessera/hydrology/units.hpp"

namespace tessera::hydrology {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// YAML scalars become numbers or booleans when they read as such, except quoted ones and ids
// with leading zeros (gauge "01022500" must stay a string).
json scalar_to_json(const YAML::Node& n) {
  const std::string s = n.Scalar();
  if (n.Tag() == "!") return s;
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (s == "null" || s == "~") return nullptr;
  const bool leading_zero = s.size() > 1 && s[0] == '0' && std::isdigit((unsigned char)s[1]);
  if (!s.empty() && !leading_zero) {
    std::istringstream in(s);
    if (s.find_first_of(".eE") == std::string::npos) {
      int64_t i = 0;
      if (in >> i && in.eof()) return i;
    } else {
      double d = 0;
      if (in >> d && in.eof()) return d;
    }
  }
  return s;
}

json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(yaml_to_json(e));
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar:
      return scalar_to_json(n);
    default:
      return nullptr;
  }
}

json read_document(const std::string& path) {
  if (!fs::is_regular_file(path)) throw std::runtime_error("config " + path + ": no such file");
  const std::string ext = fs::path(path).extension().string();
  try {
    if (ext == ".yaml" || ext == ".yml") return yaml_to_json(YAML::LoadFile(path));
    std::ifstream in(path);
    return json::parse(in);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("config " + path + ": not valid YAML: " + e.what());
  } catch (const json::parse_error& e) {
    throw std::runtime_error("config " + path + ": not valid JSON: " + e.what());
  }
}

// Errors name the config and the setting: "config run.yaml: periods.train: ...".
struct Reader {
  std::string what;
  std::string base_dir;

  [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
    throw std::runtime_error(what + ": " + key + ": " + msg);
  }
  void only_keys(const json& j, const std::string& key,
                 const std::set<std::string>& allowed) const {
    if (!j.is_object()) fail(key, "must be a mapping");
    for (const auto& [k, v] : j.items())
      if (!allowed.count(k)) fail(key.empty() ? k : key + "." + k, "unknown setting");
  }
  template <typename T>
  T get(const json& j, const std::string& key, const std::string& name, T fallback) const {
    if (!j.contains(name)) return fallback;
    try {
      return j.at(name).get<T>();
    } catch (const json::exception&) {
      fail(key + name, "has the wrong type: " + j.at(name).dump());
    }
  }
  template <typename T>
  T require(const json& j, const std::string& key, const std::string& name) const {
    if (!j.contains(name)) fail(key + name, "missing");
    return get<T>(j, key, name, T{});
  }
  std::string path_of(const std::string& p) const {
    return fs::absolute(fs::path(base_dir) / p).lexically_normal().string();
  }
  std::vector<std::string> names(const json& j, const std::string& key,
                                 const std::string& name) const {
    if (!j.contains(name)) return {};
    if (j.at(name).is_string()) return {j.at(name).get<std::string>()};
    return get<std::vector<std::string>>(j, key, name, {});
  }
};

InputSource parse_input(const Reader& r, const json& j, const std::string& key) {
  InputSource s;
  if (j.contains("netcdf")) {
    r.only_keys(j, key, {"netcdf", "variables", "station", "missing_values"});
    s.kind = InputSource::Kind::netcdf;
    s.path = r.path_of(r.require<std::string>(j, key, "netcdf"));
    s.variables = r.names(j, key, "variables");
    s.station = r.get<int64_t>(j, key, "station", 0);
    s.missing_values = r.get<std::vector<double>>(j, key, "missing_values", {});
  } else if (j.contains("csv")) {
    r.only_keys(j, key,
                {"csv", "date_column", "year_column", "month_column", "day_column", "columns",
                 "units", "missing_values", "delimiter"});
    s.kind = InputSource::Kind::csv;
    s.path = r.path_of(r.require<std::string>(j, key, "csv"));
    CsvMapping& m = s.csv;
    m.date_column = r.get<std::string>(j, key, "date_column", m.date_column);
    m.year_column = r.get<std::string>(j, key, "year_column", m.year_column);
    m.month_column = r.get<std::string>(j, key, "month_column", m.month_column);
    m.day_column = r.get<std::string>(j, key, "day_column", m.day_column);
    m.columns = r.get<std::map<std::string, std::string>>(j, key, "columns", {});
    m.units = r.get<std::map<std::string, std::string>>(j, key, "units", {});
    m.missing_values = r.get<std::vector<double>>(j, key, "missing_values", {});
    const std::string d = r.get<std::string>(j, key, "delimiter", "");
    if (d.size() > 1) r.fail(key + "delimiter", "must be one character");
    m.delimiter = d.empty() ? 0 : d[0];
  } else if (j.contains("camels")) {
    r.only_keys(j, key, {"camels", "basin", "forcing"});
    s.kind = InputSource::Kind::camels;
    s.path = r.path_of(r.require<std::string>(j, key, "camels"));
    if (!j.contains("basin")) r.fail(key + "basin", "missing");
    // Gauge ids are names: 12010000 written without quotes is the same gauge.
    s.basin = j.at("basin").is_number_integer() ? std::to_string(j.at("basin").get<int64_t>())
                                                : r.require<std::string>(j, key, "basin");
    s.forcing = r.get<std::string>(j, key, "forcing", "daymet");
  } else if (j.contains("grid")) {
    r.only_keys(j, key, {"grid", "variable", "basin", "name", "first_date"});
    s.kind = InputSource::Kind::grid;
    s.grid.path = r.path_of(r.require<std::string>(j, key, "grid"));
    s.grid.variable = r.get<std::string>(j, key, "variable", "");
    s.grid.first_date = r.get<std::string>(j, key, "first_date", "");
    if (!s.grid.first_date.empty()) try {
        parse_date(s.grid.first_date);
      } catch (const std::invalid_argument& e) {
        r.fail(key + "first_date", e.what());
      }
    s.shape = r.path_of(r.require<std::string>(j, key, "basin"));
    s.name = r.get<std::string>(j, key, "name", s.grid.variable);
    if (s.name.empty()) r.fail(key + "name", "missing (the series' name)");
  } else {
    r.fail(key, "needs one of netcdf, csv, camels or grid");
  }
  return s;
}

Period parse_period(const Reader& r, const json& periods, const std::string& name) {
  const std::string key = "periods." + name;
  if (!periods.contains(name)) r.fail(key, "missing");
  const auto v = r.get<std::vector<std::string>>(periods, "periods.", name, {});
  if (v.size() != 2) r.fail(key, "must be [first day, last day]");
  Period p;
  try {
    p = {parse_date(v[0]), parse_date(v[1])};
  } catch (const std::invalid_argument& e) {
    r.fail(key, e.what());
  }
  if (p.last < p.first) r.fail(key, "ends before it starts");
  return p;
}

ModelSettings parse_model(const Reader& r, const json& j) {
  r.only_keys(j, "model",
              {"sequence_length", "hidden", "ensemble", "epochs", "batch", "samples_per_epoch",
               "patience", "lr", "dropout", "forget_bias", "seed"});
  ModelSettings m;
  const std::string k = "model.";
  m.sequence_length = r.get<int64_t>(j, k, "sequence_length", m.sequence_length);
  m.hidden = r.get<int64_t>(j, k, "hidden", m.hidden);
  m.ensemble = r.get<int64_t>(j, k, "ensemble", m.ensemble);
  m.epochs = r.get<int>(j, k, "epochs", m.epochs);
  m.batch = r.get<int64_t>(j, k, "batch", m.batch);
  m.samples_per_epoch = r.get<int64_t>(j, k, "samples_per_epoch", m.samples_per_epoch);
  m.patience = r.get<int>(j, k, "patience", m.patience);
  m.lr = r.get<double>(j, k, "lr", m.lr);
  m.dropout = r.get<double>(j, k, "dropout", m.dropout);
  m.forget_bias = r.get<double>(j, k, "forget_bias", m.forget_bias);
  m.seed = r.get<uint64_t>(j, k, "seed", m.seed);
  if (m.sequence_length < 1 || m.hidden < 1 || m.ensemble < 1 || m.epochs < 1 || m.batch < 1 ||
      m.samples_per_epoch < 0 || m.patience < 1)
    r.fail("model", "sequence_length, hidden, ensemble, epochs, batch and patience must be >= 1");
  if (!(m.lr > 0)) r.fail("model.lr", "must be > 0");
  if (!(m.dropout >= 0 && m.dropout < 1)) r.fail("model.dropout", "must be in [0, 1)");
  return m;
}

void check_periods(const Reader& r, const HydrologyConfig& c) {
  auto overlap = [](const Period& a, const Period& b) {
    return a.first <= b.last && b.first <= a.last;
  };
  if (overlap(c.train, c.validation)) r.fail("periods", "train and validation overlap");
  if (overlap(c.train, c.test)) r.fail("periods", "train and test overlap");
  // Early stopping on test days would score the test period on the weights chosen with it.
  if (overlap(c.validation, c.test)) r.fail("periods", "validation and test overlap");
}

Gr4jInputs parse_gr4j(const Reader& r, const json& g) {
  r.only_keys(g, "gr4j", {"precipitation", "evaporation", "temperature", "snowfall", "latitude"});
  const std::string k = "gr4j.";
  Gr4jInputs in{r.names(g, k, "precipitation"), r.get<std::string>(g, k, "evaporation", ""),
                r.names(g, k, "temperature"), r.get<std::string>(g, k, "snowfall", ""),
                r.get<double>(g, k, "latitude", 0)};
  if (g.empty()) return in;  // no GR4J baseline
  if (in.precipitation.empty() || in.evaporation.empty())
    r.fail("gr4j", "needs precipitation and evaporation");
  if (!in.snowfall.empty() && in.temperature.empty())
    r.fail("gr4j.snowfall", "needs gr4j.temperature (snow melts by degree-days)");
  if (in.evaporation == "oudin" && (in.temperature.empty() || !g.contains("latitude")))
    r.fail("gr4j.evaporation", "oudin needs gr4j.temperature and gr4j.latitude");
  if (std::abs(in.latitude) > 90) r.fail("gr4j.latitude", "must be within -90..90");
  return in;
}

// Days ahead, each once, in increasing order.
std::vector<int64_t> parse_lead_times(const Reader& r, const json& j) {
  std::vector<int64_t> leads = r.get<std::vector<int64_t>>(j, "", "lead_times", {1});
  if (leads.empty()) r.fail("lead_times", "must name at least one lead time");
  for (int64_t l : leads)
    if (l < 1 || l > 366) r.fail("lead_times", "must be days ahead, 1 to 366");
  std::sort(leads.begin(), leads.end());
  if (std::adjacent_find(leads.begin(), leads.end()) != leads.end())
    r.fail("lead_times", "names a lead time twice");
  return leads;
}

}  // namespace

HydrologyConfig parse_config(const json& j, const std::string& base_dir, const std::string& what) {
  const Reader r{what, base_dir};
  r.only_keys(j, "",
              {"mode", "inputs", "basin_area_km2", "discharge", "forcings", "gr4j", "periods",
               "lead_times", "model"});
  HydrologyConfig c;
  c.path = what;
  const std::string mode = r.get<std::string>(j, "", "mode", "forecasting");
  if (mode != "forecasting" && mode != "simulation")
    r.fail("mode", "must be forecasting or simulation, not '" + mode + "'");
  c.mode = mode == "simulation" ? RunMode::simulation : RunMode::forecasting;
  if (!j.contains("inputs") || !j.at("inputs").is_array() || j.at("inputs").empty())
    r.fail("inputs", "must list at least one input");
  for (size_t i = 0; i < j.at("inputs").size(); ++i)
    c.inputs.push_back(parse_input(r, j.at("inputs")[i], "inputs[" + std::to_string(i) + "]."));
  c.basin_area_km2 = r.get<double>(j, "", "basin_area_km2", 0);
  if (c.basin_area_km2 < 0) r.fail("basin_area_km2", "must be positive");
  c.discharge = r.get<std::string>(j, "", "discharge", c.discharge);
  c.forcings = r.names(j, "", "forcings");
  if (c.forcings.empty()) r.fail("forcings", "must name at least one forcing variable");
  c.gr4j = parse_gr4j(r, j.value("gr4j", json::object()));
  if (!j.contains("periods")) r.fail("periods", "missing");
  const json& p = j.at("periods");
  r.only_keys(p, "periods", {"train", "validation", "test"});
  c.train = parse_period(r, p, "train");
  c.validation = parse_period(r, p, "validation");
  c.test = parse_period(r, p, "test");
  check_periods(r, c);
  if (c.mode == RunMode::simulation) {
    if (j.contains("lead_times")) r.fail("lead_times", "only forecasting has lead times");
    c.lead_times = {0};
  } else {
    c.lead_times = parse_lead_times(r, j);
  }
  c.model = parse_model(r, j.value("model", json::object()));
  c.json = j;
  // Paths made absolute, so the config stored in a checkpoint works from anywhere.
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    json& in = c.json["inputs"][i];
    for (const char* k : {"netcdf", "csv", "camels", "grid", "basin"})
      if (in.contains(k) &&
          !(c.inputs[i].kind == InputSource::Kind::camels && std::string(k) == "basin"))
        in[k] = r.path_of(in[k].get<std::string>());
  }
  return c;
}

HydrologyConfig read_config(const std::string& path) {
  const json j = read_document(path);
  const std::string base = fs::absolute(path).parent_path().string();
  return parse_config(j, base, "config " + path);
}

double basin_area(const HydrologyConfig& c) {
  if (c.basin_area_km2 > 0) return c.basin_area_km2;
  for (const InputSource& s : c.inputs) {
    if (s.kind == InputSource::Kind::camels) return camels_basin_area(s.path, s.basin);
  }
  return 0;
}

namespace {

DailySeries read_input(const InputSource& s) {
  switch (s.kind) {
    case InputSource::Kind::netcdf:
      return read_netcdf_series(s.path, s.variables, s.station, s.missing_values);
    case InputSource::Kind::csv:
      return read_csv_series(s.path, s.csv);
    case InputSource::Kind::camels:
      return read_camels_basin(s.path, s.basin, s.forcing);
    case InputSource::Kind::grid:
      try {
        return to_daily_series(basin_average(s.grid, s.shape), s.name);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(s.grid.path + ": " + e.what());
      }
  }
  return {};
}

void require_variable(const HydrologyConfig& c, const DailySeries& s, const std::string& name,
                      const std::string& role) {
  if (s.has(name)) return;
  std::vector<std::string> there;
  for (const auto& [k, v] : s.variables) there.push_back(k);
  throw std::runtime_error(c.path + ": " + role + " '" + name +
                           "' is in none of the inputs (they have: " + list_names(there) + ")");
}

void require_covered(const HydrologyConfig& c, const DailySeries& s, const Period& p,
                     const std::string& name) {
  if (p.first < s.first || p.last > s.last())
    throw std::runtime_error(c.path + ": the " + name + " period " + format_date(p.first) + " to " +
                             format_date(p.last) + " lies outside the data (" +
                             format_date(s.first) + " to " + format_date(s.last()) + ")");
}

// Infinite values are not measurements (NaN is missing and stays).
void check_finite(const HydrologyConfig& c, const DailySeries& s) {
  for (const auto& [name, v] : s.variables)
    for (size_t i = 0; i < v.values.size(); ++i)
      if (std::isinf(v.values[i]))
        throw std::runtime_error(c.path + ": '" + name + "' is infinite on " +
                                 format_date(s.first + Day(i)));
}

// Discharge without stated units, or below zero (an undeclared missing-value marker such as
// Raven's -1.2345), must not be used as numbers.
void check_discharge(const HydrologyConfig& c, Day first, const Variable& q) {
  const std::string what = c.path + ": discharge '" + c.discharge + "'";
  if (q.units.empty())
    throw std::runtime_error(what + " has no units; state them (csv inputs: units: {" +
                             c.discharge + ": m3/s})");
  for (size_t i = 0; i < q.values.size(); ++i)
    if (q.values[i] < 0)
      throw std::runtime_error(what + " is negative (" + std::to_string(q.values[i]) + " on " +
                               format_date(first + Day(i)) +
                               "): list the file's missing-value marker in missing_values");
}

}  // namespace

DailySeries load_inputs(const HydrologyConfig& c, DataUse use) {
  DailySeries all;
  for (const InputSource& s : c.inputs) {
    DailySeries one = read_input(s);
    if (all.days == 0)
      all = std::move(one);
    else
      merge_into(all, one);
  }
  require_variable(c, all, c.discharge, "discharge");
  for (const std::string& f : c.forcings) require_variable(c, all, f, "forcing");
  check_finite(c, all);
  Variable& q = all.variables.at(c.discharge);
  check_discharge(c, all.first, q);
  if (use == DataUse::training) {
    for (const auto& v : {c.gr4j.precipitation, c.gr4j.temperature})
      for (const std::string& f : v) require_variable(c, all, f, "gr4j input");
    for (const std::string& f : {c.gr4j.evaporation, c.gr4j.snowfall})
      if (!f.empty() && f != "oudin") require_variable(c, all, f, "gr4j input");
    require_covered(c, all, c.train, "train");
    require_covered(c, all, c.validation, "validation");
    require_covered(c, all, c.test, "test");
  }
  try {
    convert_units(q, "mm/day", basin_area(c));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(c.path + ": discharge '" + c.discharge + "': " + e.what());
  }
  return all;
}

}  // namespace tessera::hydrology
