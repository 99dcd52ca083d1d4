#pragma once
// A discharge run as its user writes it, in JSON or YAML: where the data comes from, which
// variables drive the model, the training / validation / test periods, the lead times and the
// model's settings. Paths are relative to the config file.
//
//   mode: forecasting            # or simulation (forcings only)
//   inputs:
//     - netcdf: salmon_river.nc  # CF station series
//       variables: [rain, snow, tmin, tmax, pet, qobs]
//       missing_values: [-1.2345]
//   basin_area_km2: 4250.6       # to turn m3/s or cfs into mm/day
//   discharge: qobs
//   forcings: [rain, snow, tmin, tmax, pet]
//   gr4j: {precipitation: [rain, snow], evaporation: pet, temperature: [tmin, tmax]}
//   #  with temperatures, snow: cemaneige (the default), cemaneige_hysteresis or degree_day;
//   #  CemaNeige's elevation bands: elevation: {hypsometric_curve: [101 m], bands: 5,
//   #  input_elevation: 850} or {band_elevations: [600, 900, 1300], input_elevation: 850}
//   periods:
//     train: [1954-01-01, 1990-12-31]
//     validation: [1991-01-01, 2000-12-31]
//     test: [2001-01-01, 2010-12-31]
//   lead_times: [1, 2, 3]        # steps ahead
//   time_step: 1d                # or 1h, 15min...: inputs are resampled to it
//   model: {sequence_length: 365, hidden: 64, ensemble: 5, epochs: 30}
//   thresholds: [{name: flood_alert, value: 250, units: m3/s}]
//   forecasts: {variables: [rain, snow, tmin, tmax], csv: forecasts.csv}
//
// A NetCDF input may list `missing_values` its attributes do not declare (Raven's files mark
// missing discharge -1.2345), and `units` ({tmax: K}) in place of those its attributes state (or
// lack). Other inputs: `csv: FILE` (with date_column, columns, units,
// missing_values, delimiter), `camels: ROOT` with `basin: ID` (and `forcing: daymet`), and `grid:
// FILE` with `variable`, `basin: MASK_OR_POLYGONS`, `name` (and `first_date` for rasters without
// time).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/hydrology/conceptual.hpp"
#include "tessera/hydrology/readers.hpp"
#include "tessera/hydrology/series.hpp"
#include "tessera/hydrology/weather_forecasts.hpp"

namespace tessera::hydrology {

enum class RunMode {
  simulation,  // discharge on day t from forcings up to t
  forecasting  // discharge on days t + lead from forcings and discharge up to t
};

struct InputSource {
  enum class Kind { netcdf, csv, camels, grid };
  Kind kind = Kind::netcdf;
  std::string path;                            // absolute
  std::vector<std::string> variables{};        // netcdf
  int64_t station = 0;                         // netcdf
  std::vector<double> missing_values{};        // netcdf: markers beyond _FillValue
  std::map<std::string, std::string> units{};  // netcdf: variable -> units, over its attribute
  CsvMapping csv{};                            // csv
  std::string basin{}, forcing{};              // camels: gauge id, forcing source
  GridSource grid{};                           // grid
  std::string shape{}, name{};  // grid: basin mask or polygons (absolute), series name
};

// Steps first..last of the config's time step; a date alone in the config covers its whole day.
struct Period {
  Step first = 0, last = 0;
  int64_t length() const { return last - first + 1; }
  bool contains(Step d) const { return d >= first && d <= last; }
};

struct ModelSettings {
  // Steps of inputs the network reads per prediction: 365 days; 336 steps (two weeks of hours,
  // neuralhydrology's hourly choice) when the time step is shorter than a day.
  int64_t sequence_length = 365;
  int64_t hidden = 64;
  int64_t ensemble = 5;  // members trained from different seeds: the spread
  int epochs = 30;
  int64_t batch = 256;
  int64_t samples_per_epoch = 0;  // 0: every training step each epoch
  int patience = 8;               // epochs without a better validation score before stopping
  double lr = 1e-3;               // Adam
  double dropout = 0.4;           // on the LSTM state, before the output layer
  double forget_bias = 3;
  uint64_t seed = 0;
  // With GR4J's inputs, the network also reads GR4J's simulated discharge and stores (a hybrid
  // model: what a short record cannot teach, the conceptual model supplies).
  bool hybrid = true;
  // Each member predicts quantiles of the discharge beside its mean; false: the band is the
  // members' spread (the old way, kept to compare against).
  bool quantiles = true;
};

// A discharge the operator acts on (a flood alert, a spillway limit): forecasts give the
// probability of exceeding it, evaluate the Brier score of that probability.
struct Threshold {
  std::string name;
  double value = 0;     // in `units`
  std::string units{};  // m3/s (needs the basin area), mm/day, ...
};

// The GR4J baseline's inputs: precipitation (summed), potential evaporation, and optionally
// temperature (averaged; turns on the snow routine) and snowfall (the snow part of
// precipitation, instead of the routine's split by temperature). Evaporation "oudin" computes
// it from the temperature and the basin's latitude (Oudin et al. 2005) where the data has none.
// The snow routine (`snow`) is CemaNeige unless the config says degree_day; its `elevation`
// gives bands from a hypsometric curve (101 percentiles, `bands` of them, default 5; the input
// at the curve's median unless `input_elevation` says otherwise) or band elevations directly
// (with `input_elevation`). Without `elevation`, CemaNeige runs on one band at the input's
// elevation: the forcing as it is.
struct Gr4jInputs {
  std::vector<std::string> precipitation;
  std::string evaporation;
  std::vector<std::string> temperature{};
  std::string snowfall{};
  double latitude = 0;  // degrees north, for "oudin"
  SnowChoice snow{};
};

// Weather forecasts the network reads for the days after the issue day (forecasting mode):
// which forcings are forecast and where the forecasts come from. A hindcast builds them from
// the observed weather: "perfect" (the observation itself: the upper bound of what forecasts
// can give, never a real skill) or "noisy" (with an error growing with lead).
struct ForecastSource {
  enum class Kind { none, table, netcdf, folder, perfect, noisy };
  Kind kind = Kind::none;
  std::string path{};                    // table, netcdf, folder (absolute)
  std::vector<std::string> variables{};  // forcings that are forecast
  ForecastTableMapping table{};          // table
  CsvMapping csv{};                      // folder
  int64_t station = 0;                   // netcdf
  std::vector<double> missing_values{};  // netcdf
  ForecastNoise noise{};                 // noisy
};

// One basin of a model trained on several: its data, and its static attributes where the
// config gives them.
struct BasinConfig {
  std::string id;
  std::vector<InputSource> inputs;
  double basin_area_km2 = 0;                   // 0: from the inputs' attributes (CAMELS)
  double latitude = NAN;                       // gr4j's, for oudin; NaN: the config's
  std::map<std::string, double> attributes{};  // name -> value, over those read elsewhere
  bool held_out = false;  // left out of training: scored as a basin the network never saw
};

struct HydrologyConfig {
  std::string path;  // the file read, for messages
  RunMode mode = RunMode::forecasting;
  std::vector<InputSource> inputs;  // one basin; empty when `basins` are given
  double basin_area_km2 = 0;        // 0: from the inputs' attributes (CAMELS)
  // Several basins, one model: each basin's inputs, and the static attributes the network
  // reads for every basin (from the basin's own `attributes`, else `attributes_csv` by
  // `attributes_id_column`, else the CAMELS attribute files of a camels input).
  std::vector<BasinConfig> basins{};
  std::vector<std::string> attributes{};
  std::string attributes_csv{}, attributes_id_column = "gauge_id";
  std::string discharge = "qobs";
  std::vector<std::string> forcings;
  Gr4jInputs gr4j;
  // The step of every series, lead time and period: 1d, or a divisor of a day (1h, 15min): each
  // input is resampled to it (5-minute gauges averaged to hours, daily evaporation held over
  // its hours). GR4J becomes GR4H on hourly steps, without a snow routine.
  TimeStep time_step{};
  Period train, validation, test;
  std::vector<int64_t> lead_times;  // forecasting: steps ahead (>= 1); simulation: {0}
  ModelSettings model;
  std::vector<Threshold> thresholds{};
  ForecastSource forecasts{};
  nlohmann::json json;  // the config as read, paths made absolute: kept in checkpoints
};

// The config of basin `k` of a many-basin config, as a one-basin config (its inputs, area and
// latitude in place of the top level's).
HydrologyConfig basin_config(const HydrologyConfig& c, size_t k);

// The static attributes of basin `k` in the order of c.attributes; throws naming the basin and
// the attribute when one is given nowhere.
std::vector<double> basin_attributes(const HydrologyConfig& c, size_t k);

// Reads a .json, .yaml or .yml config; throws std::runtime_error with one line naming the file
// and the setting that is wrong (unknown keys included, so typos do not pass silently).
HydrologyConfig read_config(const std::string& path);
// A config file's document (YAML for .yaml / .yml, else JSON) within limits no real config nears;
// throws "config <path>: ..." when missing or malformed.
nlohmann::json read_config_document(const std::string& path);
// A path written in a config, relative to the config's folder `base_dir`, made absolute.
std::string resolve(const std::string& base_dir, const std::string& path);
// The same from JSON already read; relative paths are taken from `base_dir`.
HydrologyConfig parse_config(const nlohmann::json& j, const std::string& base_dir,
                             const std::string& what = "config");

// What the data is loaded for: training and evaluation need the periods inside the data and
// GR4J's inputs; a forecast needs only the network's inputs.
enum class DataUse { training, forecast };

// Reads every input, resamples each to the config's time step, merges them into one table and
// converts the discharge to mm/day
// (with basin_area_km2, or the area CAMELS attributes state). Throws when a named variable is
// absent, a value is infinite, or (for training) the periods lie outside the data.
TimeSeries load_inputs(const HydrologyConfig& c, DataUse use = DataUse::training);

// The weather forecasts the config names, in the units of the observed forcings in `observed`
// (a hindcast is built from them); an empty archive when it names none. Throws naming the file
// when a forecast variable is missing or its units cannot be converted.
WeatherForecasts load_forecasts(const HydrologyConfig& c, const TimeSeries& observed);

// The basin area used for unit conversion: the config's, else the inputs'; 0 when unknown.
double basin_area(const HydrologyConfig& c);

// The threshold in mm/day over a basin of `area` km2; throws naming it when its units need an
// area that is unknown (0).
double threshold_mm_day(const Threshold& t, double area);

}  // namespace tessera::hydrology
