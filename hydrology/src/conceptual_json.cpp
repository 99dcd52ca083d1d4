// The conceptual baseline as stored in a discharge model's checkpoint metadata.
#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tessera/hydrology/conceptual.hpp"

namespace tessera::hydrology {
namespace {

using nlohmann::json;

// JSON has no NaN: "unknown" travels as null.
json number_or_null(double v) {
  return std::isnan(v) ? json(nullptr) : json(v);
}
double number_or_nan(const json& j, const char* key) {
  const json& v = j.at(key);
  return v.is_null() ? NAN : v.get<double>();
}

json cemaneige_to_json(const CemaNeigeModel& c) {
  return {{"ctg", c.params.ctg},
          {"kf", c.params.kf},
          {"hysteresis", c.params.hysteresis},
          {"accumulation", c.params.accumulation},
          {"threshold_share", c.params.threshold_share},
          {"mean_annual_solid_precipitation", number_or_null(c.mean_annual_solid_precipitation)},
          {"band_elevations", c.elevation.elevations},
          {"input_elevation", number_or_null(c.elevation.input_elevation)},
          {"scale_precipitation", c.elevation.scale_precipitation}};
}

CemaNeigeModel cemaneige_from_json(const json& j) {
  CemaNeigeModel c;
  c.params = {.ctg = j.at("ctg").get<double>(),
              .kf = j.at("kf").get<double>(),
              .hysteresis = j.at("hysteresis").get<bool>(),
              .accumulation = j.at("accumulation").get<double>(),
              .threshold_share = j.at("threshold_share").get<double>()};
  c.mean_annual_solid_precipitation = number_or_nan(j, "mean_annual_solid_precipitation");
  c.elevation = {.elevations = j.at("band_elevations").get<std::vector<double>>(),
                 .input_elevation = number_or_nan(j, "input_elevation"),
                 .scale_precipitation = j.at("scale_precipitation").get<bool>()};
  return c;
}

}  // namespace

json conceptual_to_json(const ConceptualModel& m) {
  json j = {{"x1", m.gr4j.x1},
            {"x2", m.gr4j.x2},
            {"x3", m.gr4j.x3},
            {"x4", m.gr4j.x4},
            {"hourly", m.gr4j.hourly},
            {"melt_factor", m.snow.melt_factor},
            {"melt_threshold", m.snow.threshold},
            {"nse", m.nse},
            {"snow", m.snow_routine == SnowRoutine::cemaneige ? "cemaneige" : "degree_day"}};
  if (m.snow_routine == SnowRoutine::cemaneige) j["cemaneige"] = cemaneige_to_json(m.cemaneige);
  return j;
}

ConceptualModel conceptual_from_json(const json& j, const std::string& source) {
  ConceptualModel m;
  m.gr4j = {j.at("x1").get<double>(), j.at("x2").get<double>(), j.at("x3").get<double>(),
            j.at("x4").get<double>(), j.value("hourly", false)};
  m.snow = {j.at("melt_factor").get<double>(), j.value("melt_threshold", 0.0)};
  m.nse = j.at("nse").get<double>();
  const std::string routine = j.value("snow", "degree_day");
  if (routine == "cemaneige") {
    m.snow_routine = SnowRoutine::cemaneige;
    m.cemaneige = cemaneige_from_json(j.at("cemaneige"));
  } else if (routine != "degree_day") {
    throw std::runtime_error(source + ": unknown snow routine '" + routine +
                             "' (degree_day or cemaneige)");
  }
  return m;
}

}  // namespace tessera::hydrology
