#include "tessera/hydrology/config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "tessera/formats/yaml_document.hpp"
#include "tessera/hydrology/basin_attributes.hpp"
#include "tessera/hydrology/units.hpp"
#include "tessera/io/json_text.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::hydrology {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tessera::Settings;

// Limits no real config comes near: a deeper or larger document is an attack or an accident.
constexpr JsonLimits kConfigLimits{.max_depth = 64, .max_bytes = std::size_t(16) << 20};

}  // namespace

json read_config_document(const std::string& path) {
  if (!fs::is_regular_file(path)) throw std::runtime_error("config " + path + ": no such file");
  const std::string ext = fs::path(path).extension().string();
  try {
    if (ext == ".yaml" || ext == ".yml") return read_yaml_file(path, kConfigLimits);
    return read_json_file(path, kConfigLimits);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("config ") + e.what());
  }
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  return fs::absolute(fs::path(base_dir) / path).lexically_normal().string();
}

namespace {

void parse_netcdf(const Settings& in, const std::string& base_dir, InputSource& s) {
  in.only({"netcdf", "variables", "station", "missing_values", "units"});
  s.kind = InputSource::Kind::netcdf;
  s.path = resolve(base_dir, in.require<std::string>("netcdf"));
  s.variables = in.names("variables");
  in.read("station", s.station);
  in.read("missing_values", s.missing_values);
  in.read("units", s.units);
}

// The settings every table input shares: which columns, their units, missing-value markers and
// the delimiter (one character; 0: detected).
void read_table_options(const Settings& in, std::map<std::string, std::string>& columns,
                        std::map<std::string, std::string>& units,
                        std::vector<double>& missing_values, char& delimiter) {
  in.read("columns", columns);
  in.read("units", units);
  in.read("missing_values", missing_values);
  const std::string d = in.get("delimiter", "");
  if (d.size() > 1) in.fail("delimiter", "must be one character");
  delimiter = d.empty() ? 0 : d[0];
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
  read_table_options(in, m.columns, m.units, m.missing_values, m.delimiter);
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

Period parse_period(const Settings& periods, const std::string& name, TimeStep step) {
  const auto v = periods.require<std::vector<std::string>>(name);
  if (v.size() != 2) periods.fail(name, "must be [first day, last day]");
  Period p;
  try {
    p = {parse_step(v[0], step), parse_step(v[1], step, true)};
  } catch (const std::invalid_argument& e) {
    periods.fail(name, e.what());
  }
  if (p.last < p.first) periods.fail(name, "ends before it starts");
  return p;
}

ModelSettings parse_model(const Settings& s, TimeStep step) {
  s.only({"sequence_length", "hidden", "ensemble", "epochs", "batch", "samples_per_epoch",
          "patience", "lr", "dropout", "forget_bias", "seed", "hybrid", "quantiles"});
  ModelSettings m;
  if (!step.daily()) m.sequence_length = 336;
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
  s.read("hybrid", m.hybrid);
  s.read("quantiles", m.quantiles);
  // Bounds far beyond any useful run, so a typo (ensemble: 5000000) is an error rather than an
  // allocation that takes the machine down.
  auto within = [&](const char* name, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi)
      s.fail(name, "must be " + std::to_string(lo) + " to " + std::to_string(hi) + ", not " +
                       std::to_string(v));
  };
  within("sequence_length", m.sequence_length, 1, steps_in_days(3660, step));
  within("hidden", m.hidden, 1, 4096);
  within("ensemble", m.ensemble, 1, 100);
  within("epochs", m.epochs, 1, 100000);
  within("batch", m.batch, 1, 65536);
  within("samples_per_epoch", m.samples_per_epoch, 0, 100000000);
  within("patience", m.patience, 1, 100000);
  if (!(m.lr > 0 && m.lr <= 10)) s.fail("lr", "must be in (0, 10]");
  if (!(std::abs(m.forget_bias) <= 100)) s.fail("forget_bias", "must be within -100..100");
  if (!(m.dropout >= 0 && m.dropout < 1)) s.fail("dropout", "must be in [0, 1)");
  return m;
}

void parse_periods(const Settings& top, HydrologyConfig& c) {
  if (!top.has("periods")) top.fail("periods", "missing");
  const Settings periods = top.child("periods");
  periods.only({"train", "validation", "test"});
  c.train = parse_period(periods, "train", c.time_step);
  c.validation = parse_period(periods, "validation", c.time_step);
  c.test = parse_period(periods, "test", c.time_step);
  auto overlap = [](const Period& a, const Period& b) {
    return a.first <= b.last && b.first <= a.last;
  };
  if (overlap(c.train, c.validation)) top.fail("periods", "train and validation overlap");
  if (overlap(c.train, c.test)) top.fail("periods", "train and test overlap");
  // Early stopping on test days would score the test period on the weights chosen with it.
  if (overlap(c.validation, c.test)) top.fail("periods", "validation and test overlap");
}

// CemaNeige's elevation bands, checked by the library, its errors named here.
ElevationBands parse_elevation(const Settings& e) {
  e.only({"hypsometric_curve", "bands", "band_elevations", "input_elevation"});
  ElevationBands out;
  if (e.has("hypsometric_curve") && e.has("band_elevations"))
    e.fail("", "give hypsometric_curve or band_elevations, not both");
  if (e.has("bands") && !e.has("hypsometric_curve"))
    e.fail("bands", "needs hypsometric_curve (band_elevations list the bands themselves)");
  try {
    if (e.has("hypsometric_curve")) {
      const auto curve = e.require<std::vector<double>>("hypsometric_curve");
      const int64_t bands = std::clamp<int64_t>(e.get<int64_t>("bands", 5), 0, 101);
      out.elevations = hypsometric_bands(curve, int(bands));  // refuses 0 and 101
      out.input_elevation = curve[50];  // airGR's default: the forcing stands for the median
      // airGR leaves the forcing as it is for one band at the median.
      if (bands == 1 && !e.has("input_elevation")) out.elevations.clear();
    }
    if (e.has("band_elevations")) {
      out.elevations = e.require<std::vector<double>>("band_elevations");
      if (out.elevations.empty()) e.fail("band_elevations", "must list at least one band");
    }
    e.read("input_elevation", out.input_elevation);
    check_elevation_bands(out);
  } catch (const SettingError& x) {
    e.fail(x.setting(), x.message());
  }
  return out;
}

// The snow routine: CemaNeige unless the config says otherwise, and its bands.
SnowChoice parse_snow(const Settings& g, bool has_temperature, TimeStep step) {
  SnowChoice s;
  if (!step.daily() && (g.has("snow") || g.has("elevation") || g.has("snowfall")))
    g.fail(g.has("snow")        ? "snow"
           : g.has("elevation") ? "elevation"
                                : "snowfall",
           "the snow routines run on daily steps, not " + format_time_step(step) +
               " (with shorter steps, temperatures serve only evaporation: oudin)");
  const std::string routine = g.get("snow", "cemaneige");
  if (routine == "degree_day")
    s.routine = SnowRoutine::degree_day;
  else if (routine == "cemaneige_hysteresis")
    s.hysteresis = true;
  else if (routine != "cemaneige")
    g.fail("snow", "must be cemaneige, cemaneige_hysteresis or degree_day, not '" + routine + "'");
  for (const char* key : {"snow", "elevation"})
    if (g.has(key) && !has_temperature)
      g.fail(key, "needs gr4j.temperature (the snow routine runs on temperatures)");
  if (g.has("elevation")) {
    if (s.routine == SnowRoutine::degree_day)
      g.fail("elevation", "only CemaNeige has elevation bands (snow: cemaneige)");
    s.elevation = parse_elevation(g.child("elevation"));
  }
  return s;
}

Gr4jInputs parse_gr4j(const Settings& g, TimeStep step) {
  g.only(
      {"precipitation", "evaporation", "temperature", "snowfall", "latitude", "snow", "elevation"});
  Gr4jInputs in{g.names("precipitation"), g.get("evaporation", ""), g.names("temperature"),
                g.get("snowfall", ""), g.get("latitude", 0.0)};
  if (g.json().empty()) return in;  // no GR4J baseline
  if (in.precipitation.empty() || in.evaporation.empty())
    g.fail("", "needs precipitation and evaporation");
  if (!in.snowfall.empty() && in.temperature.empty())
    g.fail("snowfall", "needs gr4j.temperature (snow melts by temperature)");
  if (!step.daily() && step.seconds != 3600)
    g.fail("", "GR4J runs on daily steps and GR4H on hourly ones, not on steps of " +
                   format_time_step(step) + ": leave gr4j out or resample to 1h");
  in.snow = parse_snow(g, !in.temperature.empty(), step);
  if (in.evaporation == "oudin" && (in.temperature.empty() || !g.has("latitude")))
    g.fail("evaporation", "oudin needs gr4j.temperature and gr4j.latitude");
  if (std::abs(in.latitude) > 90) g.fail("latitude", "must be within -90..90");
  return in;
}

// Steps ahead, each once, in increasing order.
std::vector<int64_t> parse_lead_times(const Settings& top, TimeStep step) {
  std::vector<int64_t> leads = top.get("lead_times", std::vector<int64_t>{1});
  if (leads.empty()) top.fail("lead_times", "must name at least one lead time");
  const int64_t longest = steps_in_days(366, step);
  for (int64_t l : leads)
    if (l < 1 || l > longest)
      top.fail("lead_times", "must be steps of " + format_time_step(step) + " ahead, 1 to " +
                                 std::to_string(longest));
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
void make_absolute(json& inputs, const std::vector<InputSource>& parsed,
                   const std::string& base_dir) {
  for (size_t i = 0; i < parsed.size(); ++i) {
    json& in = inputs[i];
    for (const char* k : {"netcdf", "csv", "camels", "grid", "basin"})
      if (in.contains(k) &&
          !(parsed[i].kind == InputSource::Kind::camels && std::string(k) == "basin"))
        in[k] = resolve(base_dir, in[k].get<std::string>());
  }
}

json with_absolute_paths(const json& j, const HydrologyConfig& c, const std::string& base_dir) {
  json out = j;
  make_absolute(out["inputs"], c.inputs, base_dir);
  if (c.inputs.empty()) out.erase("inputs");
  for (size_t k = 0; k < c.basins.size(); ++k)
    make_absolute(out["basins"][k]["inputs"], c.basins[k].inputs, base_dir);
  if (!c.attributes_csv.empty()) out["attributes_csv"] = c.attributes_csv;
  if (!c.forecasts.path.empty())
    for (const char* k : {"csv", "netcdf", "folder"})
      if (out["forecasts"].contains(k)) out["forecasts"][k] = c.forecasts.path;
  return out;
}

// Units are checked here (with a stand-in area when the basin's comes from the data later).
std::vector<Threshold> parse_thresholds(const Settings& top, double area) {
  std::vector<Threshold> out;
  for (size_t i = 0; i < top.size("thresholds"); ++i) {
    const Settings t = top.element("thresholds", i);
    t.only({"name", "value", "units"});
    Threshold th{t.require<std::string>("name"), t.require<double>("value"),
                 t.get("units", "m3/s")};
    if (!std::isfinite(th.value) || th.value < 0)
      t.fail("value", "must be a discharge of 0 or more");
    try {
      unit_conversion(th.units, "mm/day", area > 0 ? area : 1);
    } catch (const std::invalid_argument& e) {
      t.fail("units", e.what());
    }
    if (th.name.empty() || th.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                                                     "QRSTUVWXYZ0123456789_-") != std::string::npos)
      t.fail("name", "'" + th.name + "' must be letters, digits, _ or - (it names a column)");
    for (const Threshold& other : out)
      if (other.name == th.name) t.fail("name", "'" + th.name + "' names two thresholds");
    out.push_back(th);
  }
  return out;
}

ForecastSource parse_forecasts(const Settings& f, const std::string& base_dir,
                               const HydrologyConfig& c) {
  ForecastSource s;
  if (f.json().empty()) return s;
  f.only({"variables",
          "csv",
          "netcdf",
          "folder",
          "hindcast",
          "issue_column",
          "lead_column",
          "lead_units",
          "target_column",
          "variable_column",
          "value_column",
          "date_column",
          "columns",
          "units",
          "missing_values",
          "delimiter",
          "station",
          "error",
          "temperature_error",
          "seed"});
  if (c.mode == RunMode::simulation)
    f.fail("", "only forecasting reads weather forecasts (simulation uses the observed weather)");
  if (!c.time_step.daily() && !f.has("hindcast"))
    f.fail("", "forecast files are read with daily leads; with time_step " +
                   format_time_step(c.time_step) + " only a hindcast (perfect, noisy) is read");
  s.variables = f.names("variables");
  if (s.variables.empty()) f.fail("variables", "must name the forcings that are forecast");
  for (const std::string& v : s.variables)
    if (std::find(c.forcings.begin(), c.forcings.end(), v) == c.forcings.end())
      f.fail("variables",
             "'" + v + "' is not one of the forcings (" + list_names(c.forcings) + ")");
  int sources = 0;
  for (const char* k : {"csv", "netcdf", "folder", "hindcast"}) sources += f.has(k);
  if (sources != 1) f.fail("", "needs exactly one of csv, netcdf, folder or hindcast");
  if (f.has("csv")) {
    s.kind = ForecastSource::Kind::table;
    s.path = resolve(base_dir, f.require<std::string>("csv"));
    ForecastTableMapping& m = s.table;
    f.read("issue_column", m.issue_column);
    f.read("lead_column", m.lead_column);
    f.read("lead_units", m.lead_units);
    f.read("target_column", m.target_column);
    f.read("variable_column", m.variable_column);
    f.read("value_column", m.value_column);
    read_table_options(f, m.columns, m.units, m.missing_values, m.delimiter);
  } else if (f.has("netcdf")) {
    s.kind = ForecastSource::Kind::netcdf;
    s.path = resolve(base_dir, f.require<std::string>("netcdf"));
    f.read("station", s.station);
    f.read("missing_values", s.missing_values);
  } else if (f.has("folder")) {
    s.kind = ForecastSource::Kind::folder;
    s.path = resolve(base_dir, f.require<std::string>("folder"));
    f.read("date_column", s.csv.date_column);
    read_table_options(f, s.csv.columns, s.csv.units, s.csv.missing_values, s.csv.delimiter);
  } else {
    const std::string kind = f.require<std::string>("hindcast");
    if (kind != "perfect" && kind != "noisy")
      f.fail("hindcast", "must be perfect or noisy, not '" + kind + "'");
    s.kind = kind == "perfect" ? ForecastSource::Kind::perfect : ForecastSource::Kind::noisy;
    f.read("error", s.noise.relative);
    f.read("temperature_error", s.noise.temperature_degc);
    f.read("seed", s.noise.seed);
    if (!(s.noise.relative >= 0 && s.noise.relative <= 10))
      f.fail("error", "must be a relative error of 0 to 10");
    if (!(s.noise.temperature_degc >= 0 && s.noise.temperature_degc <= 50))
      f.fail("temperature_error", "must be 0 to 50 degC");
  }
  return s;
}

double parse_area(const Settings& s) {
  const double area = s.get("basin_area_km2", 0.0);
  // The Amazon's is 7 million km2.
  if (!(area >= 0 && area <= 1e7))
    s.fail("basin_area_km2", "must be a basin's area in km2, 0 to 10 000 000");
  return area;
}

std::vector<InputSource> parse_inputs(const Settings& s, const std::string& base_dir) {
  const size_t inputs = s.size("inputs");
  if (inputs == 0) s.fail("inputs", "must list at least one input");
  std::vector<InputSource> out;
  for (size_t i = 0; i < inputs; ++i) out.push_back(parse_input(s.element("inputs", i), base_dir));
  return out;
}

// A gauge id or name; 12010000 written without quotes is the same gauge.
std::string parse_id(const Settings& s, const char* key) {
  if (!s.has(key)) s.fail(key, "missing");
  const json& id = s.json().at(key);
  return id.is_number_integer() ? std::to_string(id.get<int64_t>()) : s.require<std::string>(key);
}

void parse_basins(const Settings& top, const std::string& base_dir, HydrologyConfig& c) {
  for (size_t k = 0; k < top.size("basins"); ++k) {
    const Settings b = top.element("basins", k);
    b.only({"id", "inputs", "basin_area_km2", "latitude", "attributes", "held_out"});
    BasinConfig basin{parse_id(b, "id"), parse_inputs(b, base_dir), parse_area(b)};
    b.read("latitude", basin.latitude);
    b.read("attributes", basin.attributes);
    b.read("held_out", basin.held_out);
    for (const BasinConfig& other : c.basins)
      if (other.id == basin.id) b.fail("id", "'" + basin.id + "' names two basins");
    c.basins.push_back(basin);
  }
  c.attributes = top.names("attributes");
  if (top.has("attributes_csv"))
    c.attributes_csv = resolve(base_dir, top.require<std::string>("attributes_csv"));
  top.read("attributes_id_column", c.attributes_id_column);
  if (c.basins.empty()) {
    if (!c.attributes.empty())
      top.fail("attributes", "only a config of several basins has attributes");
    return;
  }
  if (top.has("inputs") || top.has("basin_area_km2"))
    top.fail(top.has("inputs") ? "inputs" : "basin_area_km2", "goes inside each of the basins");
  if (std::all_of(c.basins.begin(), c.basins.end(),
                  [](const BasinConfig& b) { return b.held_out; }))
    top.fail("basins", "are all held out: at least one must be trained on");
}

HydrologyConfig parse(const Settings& top, const std::string& base_dir) {
  top.only({"mode", "inputs", "basin_area_km2", "discharge", "forcings", "gr4j", "periods",
            "lead_times", "model", "thresholds", "forecasts", "basins", "attributes",
            "attributes_csv", "attributes_id_column", "time_step"});
  HydrologyConfig c;
  c.path = top.what();
  c.mode = parse_mode(top);
  try {
    c.time_step = parse_time_step(top.get("time_step", std::string("1d")));
  } catch (const std::invalid_argument& e) {
    top.fail("time_step", e.what());
  }
  parse_basins(top, base_dir, c);
  if (c.basins.empty()) {
    c.inputs = parse_inputs(top, base_dir);
    c.basin_area_km2 = parse_area(top);
  }
  top.read("discharge", c.discharge);
  c.forcings = top.names("forcings");
  if (c.forcings.empty()) top.fail("forcings", "must name at least one forcing variable");
  c.gr4j = parse_gr4j(top.child("gr4j"), c.time_step);
  parse_periods(top, c);
  if (c.mode == RunMode::simulation) {
    if (top.has("lead_times")) top.fail("lead_times", "only forecasting has lead times");
    c.lead_times = {0};
  } else {
    c.lead_times = parse_lead_times(top, c.time_step);
  }
  c.model = parse_model(top.child("model"), c.time_step);
  c.thresholds = parse_thresholds(top, c.basin_area_km2);
  c.forecasts = parse_forecasts(top.child("forecasts"), base_dir, c);
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
  const json j = read_config_document(path);
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

WeatherForecasts load_forecasts(const HydrologyConfig& c, const TimeSeries& observed) {
  const ForecastSource& f = c.forecasts;
  const int64_t ahead = c.lead_times.back();  // sorted
  WeatherForecasts w;
  switch (f.kind) {
    case ForecastSource::Kind::none:
      return w;
    case ForecastSource::Kind::table:
      w = read_forecast_table(f.path, f.table);
      break;
    case ForecastSource::Kind::netcdf:
      w = read_forecast_netcdf(f.path, f.variables, f.station, f.missing_values);
      break;
    case ForecastSource::Kind::folder:
      w = read_forecast_folder(f.path, f.csv);
      break;
    case ForecastSource::Kind::perfect:
      return perfect_forecasts(observed, f.variables, ahead);
    case ForecastSource::Kind::noisy: {
      ForecastNoise noise = f.noise;
      for (const std::string& t : c.gr4j.temperature)  // the rest are told by their units
        if (std::find(f.variables.begin(), f.variables.end(), t) != f.variables.end())
          noise.temperature_variables.push_back(t);
      return noisy_forecasts(observed, f.variables, ahead, noise);
    }
  }
  // In the units of the observations, which the model's normalisation is in.
  for (const std::string& name : f.variables) {
    if (!w.has(name)) throw std::runtime_error(f.path + ": has no forecast of '" + name + "'");
    Variable& v = w.variables.at(name);
    const std::string& want = observed.variable(name).units;
    try {
      if (!want.empty() && !v.units.empty() && v.units != want) convert_units(v, want);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(f.path + ": forecast '" + name + "': " + e.what());
    }
  }
  return w;
}

HydrologyConfig basin_config(const HydrologyConfig& c, size_t k) {
  HydrologyConfig one = c;
  const BasinConfig& b = c.basins.at(k);
  one.inputs = b.inputs;
  one.basin_area_km2 = b.basin_area_km2;
  if (!std::isnan(b.latitude)) one.gr4j.latitude = b.latitude;
  one.basins.clear();
  one.attributes.clear();
  return one;
}

std::vector<double> basin_attributes(const HydrologyConfig& c, size_t k) {
  const BasinConfig& b = c.basins.at(k);
  std::vector<double> out;
  for (const std::string& name : c.attributes) {
    if (auto it = b.attributes.find(name); it != b.attributes.end()) {
      out.push_back(it->second);
      continue;
    }
    if (!c.attributes_csv.empty()) {
      out.push_back(table_attribute(c.attributes_csv, c.attributes_id_column, b.id, name));
      continue;
    }
    const auto camels = std::find_if(b.inputs.begin(), b.inputs.end(), [](const InputSource& in) {
      return in.kind == InputSource::Kind::camels;
    });
    if (camels == b.inputs.end())
      throw std::runtime_error(c.path + ": basin '" + b.id + "' has no attribute '" + name +
                               "': give it in the basin's attributes or an attributes_csv");
    out.push_back(camels_attribute(camels->path, camels->basin, name));
  }
  return out;
}

double threshold_mm_day(const Threshold& t, double area) {
  try {
    const UnitConversion u = unit_conversion(t.units, "mm/day", area);
    return t.value * u.scale + u.offset;
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("threshold '" + t.name + "': " + e.what());
  }
}

namespace {

// The series with the units the config states in place of the file's own.
TimeSeries read_input(const InputSource& s) {
  switch (s.kind) {
    case InputSource::Kind::netcdf:
      return read_netcdf_series(s.path, s.variables, s.station, s.missing_values, s.units);
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

void require_variable(const HydrologyConfig& c, const TimeSeries& s, const std::string& name,
                      const std::string& role) {
  if (s.has(name)) return;
  std::vector<std::string> there;
  for (const auto& [k, v] : s.variables) there.push_back(k);
  throw std::runtime_error(c.path + ": " + role + " '" + name +
                           "' is in none of the inputs (they have: " + list_names(there) + ")");
}

void require_covered(const HydrologyConfig& c, const TimeSeries& s, const Period& p,
                     const std::string& name) {
  if (p.first < s.first || p.last > s.last())
    throw std::runtime_error(c.path + ": the " + name + " period " + format_step(p.first, s.step) +
                             " to " + format_step(p.last, s.step) + " lies outside the data (" +
                             format_step(s.first, s.step) + " to " + format_step(s.last(), s.step) +
                             ")");
}

// Infinite values are not measurements (NaN is missing and stays).
void check_finite(const HydrologyConfig& c, const TimeSeries& s) {
  for (const auto& [name, v] : s.variables)
    for (size_t i = 0; i < v.values.size(); ++i)
      if (std::isinf(v.values[i]))
        throw std::runtime_error(c.path + ": '" + name + "' is infinite on " +
                                 format_step(s.first + Step(i), s.step));
}

// Discharge without stated units, or below zero (an undeclared missing-value marker such as
// Raven's -1.2345), must not be used as numbers.
void check_discharge(const HydrologyConfig& c, const TimeSeries& s, const Variable& q) {
  const std::string what = c.path + ": discharge '" + c.discharge + "'";
  if (q.units.empty())
    throw std::runtime_error(what + " has no units; state them (csv inputs: units: {" +
                             c.discharge + ": m3/s})");
  for (size_t i = 0; i < q.values.size(); ++i)
    if (q.values[i] < 0)
      throw std::runtime_error(what + " is negative (" + std::to_string(q.values[i]) + " on " +
                               format_step(s.first + Step(i), s.step) +
                               "): list the file's missing-value marker in missing_values");
}

// The mean of the basin's precipitation in mm/day (the gr4j inputs summed), 0 when unknown.
double mean_precipitation(const HydrologyConfig& c, const TimeSeries& s) {
  double total = 0;
  for (const std::string& name : c.gr4j.precipitation) {
    if (!s.has(name)) return 0;
    Variable v = s.variable(name);
    try {
      if (!v.units.empty()) convert_units(v, "mm/day");  // GR4J reads it in mm/day otherwise
    } catch (const std::invalid_argument&) {
      return 0;
    }
    double sum = 0, n = 0;
    for (double x : v.values)
      if (!std::isnan(x)) sum += x, n += 1;
    if (n == 0) return 0;
    total += sum / n;
  }
  return total;
}

// Every series with a role in the models must fit the unit it is read in: GR4J's fluxes in
// mm/day and temperatures in degC unless stated otherwise, the discharge in its stated unit.
// Kelvin read as degC, or metres as millimetres, would otherwise run without a word.
void check_plausible_units(const HydrologyConfig& c, const TimeSeries& s) {
  auto check = [&](const std::string& name, Measure m, const std::string& role,
                   const PlausibilityContext& context = {}) {
    if (name.empty() || name == "oudin" || !s.has(name)) return;
    try {
      require_plausible(s.variable(name), s.first, s.step, m, name,
                        m == Measure::temperature ? "degC" : "mm/day", context);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(c.path + ": " + role + " " + e.what());
    }
  };
  for (const std::string& p : c.gr4j.precipitation)
    check(p, Measure::precipitation, "gr4j precipitation");
  check(c.gr4j.snowfall, Measure::precipitation, "gr4j snowfall");
  check(c.gr4j.evaporation, Measure::evaporation, "gr4j evaporation");
  for (const std::string& t : c.gr4j.temperature)
    check(t, Measure::temperature, "gr4j temperature");
  check(c.discharge, Measure::discharge, "discharge", {basin_area(c), mean_precipitation(c, s)});
}

}  // namespace

TimeSeries load_inputs(const HydrologyConfig& c, DataUse use) {
  TimeSeries all;
  for (const InputSource& s : c.inputs) {
    TimeSeries one;
    try {
      one = resample(read_input(s), c.time_step);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(s.path + ": " + e.what());
    }
    if (all.length == 0)
      all = std::move(one);
    else
      merge_into(all, one);
  }
  require_variable(c, all, c.discharge, "discharge");
  for (const std::string& f : c.forcings) require_variable(c, all, f, "forcing");
  check_finite(c, all);
  Variable& q = all.variables.at(c.discharge);
  check_discharge(c, all, q);
  check_plausible_units(c, all);
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
