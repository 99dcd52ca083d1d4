#include "tessera/hydrology/config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "tessera/hydrology/units.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::hydrology {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tessera::Settings;

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

// A path in the config, relative to the config's folder, made absolute.
std::string resolve(const std::string& base_dir, const std::string& path) {
  return fs::absolute(fs::path(base_dir) / path).lexically_normal().string();
}

void parse_netcdf(const Settings& in, const std::string& base_dir, InputSource& s) {
  in.only({"netcdf", "variables", "station", "missing_values"});
  s.kind = InputSource::Kind::netcdf;
  s.path = resolve(base_dir, in.require<std::string>("netcdf"));
  s.variables = in.names("variables");
  in.read("station", s.station);
  in.read("missing_values", s.missing_values);
}

void parse_csv(const Settings& in, const std::string& base_dir, InputSource& s) {
  in.only({"csv", "date_column", "year_column", "month_column", "day_column", "columns", "units",
           "missing_values", "delimiter"});
  s.kind = InputSource::Kind::csv;
  s.path = resolve(base_dir, in.require<std::string>("csv"));
  CsvMapping& m = s.csv;
  in.read("date_column", m.date_column);
  in.read("year_column", m.year_column);
  in.read("month_column", m.month_column);
  in.read("day_column", m.day_column);
  in.read("columns", m.columns);
  in.read("units", m.units);
  in.read("missing_values", m.missing_values);
  const std::string d = in.get("delimiter", "");
  if (d.size() > 1) in.fail("delimiter", "must be one character");
  m.delimiter = d.empty() ? 0 : d[0];
}

void parse_camels(const Settings& in, const std::string& base_dir, InputSource& s) {
  in.only({"camels", "basin", "forcing"});
  s.kind = InputSource::Kind::camels;
  s.path = resolve(base_dir, in.require<std::string>("camels"));
  if (!in.has("basin")) in.fail("basin", "missing");
  // Gauge ids are names: 12010000 written without quotes is the same gauge.
  const json& basin = in.json().at("basin");
  s.basin = basin.is_number_integer() ? std::to_string(basin.get<int64_t>())
                                      : in.require<std::string>("basin");
  s.forcing = in.get("forcing", "daymet");
}

void parse_grid(const Settings& in, const std::string& base_dir, InputSource& s) {
  in.only({"grid", "variable", "basin", "name", "first_date"});
  s.kind = InputSource::Kind::grid;
  s.grid.path = resolve(base_dir, in.require<std::string>("grid"));
  s.grid.variable = in.get("variable", "");
  s.grid.first_date = in.get("first_date", "");
  if (!s.grid.first_date.empty()) try {
      parse_date(s.grid.first_date);
    } catch (const std::invalid_argument& e) {
      in.fail("first_date", e.what());
    }
  s.shape = resolve(base_dir, in.require<std::string>("basin"));
  s.name = in.get("name", s.grid.variable);
  if (s.name.empty()) in.fail("name", "missing (the series' name)");
}

InputSource parse_input(const Settings& in, const std::string& base_dir) {
  InputSource s;
  if (in.has("netcdf"))
    parse_netcdf(in, base_dir, s);
  else if (in.has("csv"))
    parse_csv(in, base_dir, s);
  else if (in.has("camels"))
    parse_camels(in, base_dir, s);
  else if (in.has("grid"))
    parse_grid(in, base_dir, s);
  else
    in.fail("", "needs one of netcdf, csv, camels or grid");
  return s;
}

Period parse_period(const Settings& periods, const std::string& name) {
  const auto v = periods.require<std::vector<std::string>>(name);
  if (v.size() != 2) periods.fail(name, "must be [first day, last day]");
  Period p;
  try {
    p = {parse_date(v[0]), parse_date(v[1])};
  } catch (const std::invalid_argument& e) {
    periods.fail(name, e.what());
  }
  if (p.last < p.first) periods.fail(name, "ends before it starts");
  return p;
}

ModelSettings parse_model(const Settings& s) {
  s.only({"sequence_length", "hidden", "ensemble", "epochs", "batch", "samples_per_epoch",
          "patience", "lr", "dropout", "forget_bias", "seed"});
  ModelSettings m;
  s.read("sequence_length", m.sequence_length);
  s.read("hidden", m.hidden);
  s.read("ensemble", m.ensemble);
  s.read("epochs", m.epochs);
  s.read("batch", m.batch);
  s.read("samples_per_epoch", m.samples_per_epoch);
  s.read("patience", m.patience);
  s.read("lr", m.lr);
  s.read("dropout", m.dropout);
  s.read("forget_bias", m.forget_bias);
  s.read("seed", m.seed);
  if (m.sequence_length < 1 || m.hidden < 1 || m.ensemble < 1 || m.epochs < 1 || m.batch < 1 ||
      m.samples_per_epoch < 0 || m.patience < 1)
    s.fail("", "sequence_length, hidden, ensemble, epochs, batch and patience must be >= 1");
  if (!(m.lr > 0)) s.fail("lr", "must be > 0");
  if (!(m.dropout >= 0 && m.dropout < 1)) s.fail("dropout", "must be in [0, 1)");
  return m;
}

void parse_periods(const Settings& top, HydrologyConfig& c) {
  if (!top.has("periods")) top.fail("periods", "missing");
  const Settings periods = top.child("periods");
  periods.only({"train", "validation", "test"});
  c.train = parse_period(periods, "train");
  c.validation = parse_period(periods, "validation");
  c.test = parse_period(periods, "test");
  auto overlap = [](const Period& a, const Period& b) {
    return a.first <= b.last && b.first <= a.last;
  };
  if (overlap(c.train, c.validation)) top.fail("periods", "train and validation overlap");
  if (overlap(c.train, c.test)) top.fail("periods", "train and test overlap");
  // Early stopping on test days would score the test period on the weights chosen with it.
  if (overlap(c.validation, c.test)) top.fail("periods", "validation and test overlap");
}

Gr4jInputs parse_gr4j(const Settings& g) {
  g.only({"precipitation", "evaporation", "temperature", "snowfall", "latitude"});
  Gr4jInputs in{g.names("precipitation"), g.get("evaporation", ""), g.names("temperature"),
                g.get("snowfall", ""), g.get("latitude", 0.0)};
  if (g.json().empty()) return in;  // no GR4J baseline
  if (in.precipitation.empty() || in.evaporation.empty())
    g.fail("", "needs precipitation and evaporation");
  if (!in.snowfall.empty() && in.temperature.empty())
    g.fail("snowfall", "needs gr4j.temperature (snow melts by degree-days)");
  if (in.evaporation == "oudin" && (in.temperature.empty() || !g.has("latitude")))
    g.fail("evaporation", "oudin needs gr4j.temperature and gr4j.latitude");
  if (std::abs(in.latitude) > 90) g.fail("latitude", "must be within -90..90");
  return in;
}

// Days ahead, each once, in increasing order.
std::vector<int64_t> parse_lead_times(const Settings& top) {
  std::vector<int64_t> leads = top.get("lead_times", std::vector<int64_t>{1});
  if (leads.empty()) top.fail("lead_times", "must name at least one lead time");
  for (int64_t l : leads)
    if (l < 1 || l > 366) top.fail("lead_times", "must be days ahead, 1 to 366");
  std::sort(leads.begin(), leads.end());
  if (std::adjacent_find(leads.begin(), leads.end()) != leads.end())
    top.fail("lead_times", "names a lead time twice");
  return leads;
}

RunMode parse_mode(const Settings& top) {
  const std::string mode = top.get("mode", "forecasting");
  if (mode != "forecasting" && mode != "simulation")
    top.fail("mode", "must be forecasting or simulation, not '" + mode + "'");
  return mode == "simulation" ? RunMode::simulation : RunMode::forecasting;
}

// The config as read, its paths made absolute, so the copy stored in a checkpoint works from
// anywhere.
json with_absolute_paths(const json& j, const HydrologyConfig& c, const std::string& base_dir) {
  json out = j;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    json& in = out["inputs"][i];
    for (const char* k : {"netcdf", "csv", "camels", "grid", "basin"})
      if (in.contains(k) &&
          !(c.inputs[i].kind == InputSource::Kind::camels && std::string(k) == "basin"))
        in[k] = resolve(base_dir, in[k].get<std::string>());
  }
  return out;
}

HydrologyConfig parse(const Settings& top, const std::string& base_dir) {
  top.only({"mode", "inputs", "basin_area_km2", "discharge", "forcings", "gr4j", "periods",
            "lead_times", "model"});
  HydrologyConfig c;
  c.path = top.what();
  c.mode = parse_mode(top);
  const size_t inputs = top.size("inputs");
  if (inputs == 0) top.fail("inputs", "must list at least one input");
  for (size_t i = 0; i < inputs; ++i)
    c.inputs.push_back(parse_input(top.element("inputs", i), base_dir));
  c.basin_area_km2 = top.get("basin_area_km2", 0.0);
  if (c.basin_area_km2 < 0) top.fail("basin_area_km2", "must be positive");
  top.read("discharge", c.discharge);
  c.forcings = top.names("forcings");
  if (c.forcings.empty()) top.fail("forcings", "must name at least one forcing variable");
  c.gr4j = parse_gr4j(top.child("gr4j"));
  parse_periods(top, c);
  if (c.mode == RunMode::simulation) {
    if (top.has("lead_times")) top.fail("lead_times", "only forecasting has lead times");
    c.lead_times = {0};
  } else {
    c.lead_times = parse_lead_times(top);
  }
  c.model = parse_model(top.child("model"));
  c.json = with_absolute_paths(top.json(), c, base_dir);
  return c;
}

}  // namespace

// Settings name what is wrong as std::invalid_argument; a config is a file the user wrote, so its
// errors are runtime_errors like those of the data files it names.
HydrologyConfig parse_config(const json& j, const std::string& base_dir, const std::string& what) {
  try {
    return parse(Settings(j, what), base_dir);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
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
