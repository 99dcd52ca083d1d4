#pragma once
// The conceptual baseline every report shows beside the network: GR4J, behind a snow routine
// when temperatures are given (without one, GR4J sends winter snowfall straight to the river
// and misses the spring melt of snowy basins): CemaNeige (cemaneige.hpp, airGR's
// CemaNeige-GR4J) by default, or a degree-day routine.
//
//   ConceptualForcing f{.precipitation = p, .evaporation = pet, .temperature = t, .first = day};
//   ConceptualModel m = calibrate_conceptual(f, observed, {.warmup = 365});
//   std::vector<double> q = run_conceptual(m, f);   // mm/day
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tessera/hydrology/cemaneige.hpp"
#include "tessera/hydrology/gr4j.hpp"

namespace tessera::hydrology {

struct ConceptualForcing {
  std::vector<double> precipitation{};  // mm/day, all phases
  std::vector<double> evaporation{};    // potential, mm/day
  std::vector<double> temperature{};    // mean, degC; empty: no snow routine
  std::vector<double> snowfall{};       // mm/day, the snow part of precipitation; empty: the
                                        // snow routine splits precipitation by temperature
  // Daily minimum and maximum (degC; both or neither): CemaNeige's solid fraction (Hydrotel's
  // rule) below 1500 m. The degree-day routine ignores them.
  std::vector<double> temperature_min{}, temperature_max{};
  Step first = 0;  // the first step: CemaNeige's temperature gradients follow the season
  // Daily runs GR4J (with any snow routine), hourly GR4H (without one: the snow routines are
  // daily); fluxes stay mm/day either way.
  TimeStep step{};
};

// The degree-day snow routine (used only with temperatures).
struct SnowParams {
  double melt_factor = 0;  // mm / degC / day
  double threshold = 0;    // degC: snow falls below it (unless snowfall is given), melts above
};

enum class SnowRoutine { degree_day, cemaneige };

// CemaNeige as one basin's model: its parameters, its bands, and the mean annual solid
// precipitation that sets its melt threshold (from the calibration forcing: kept, so that runs
// on other periods and forecasts melt alike).
struct CemaNeigeModel {
  CemaNeigeParams params{};
  ElevationBands elevation{};
  double mean_annual_solid_precipitation = NAN;  // mm/year; must be set before a run
};

struct ConceptualModel {
  Gr4jParams gr4j;
  SnowParams snow;                                     // the degree-day routine's
  double nse = 0;                                      // on the calibration days
  SnowRoutine snow_routine = SnowRoutine::degree_day;  // as models built before CemaNeige
  CemaNeigeModel cemaneige{};
};

// Rain plus snowmelt reaching the ground each day: snow builds a pack that melts at
// melt_factor * max(T - threshold, 0). Without temperatures, the precipitation itself.
std::vector<double> liquid_water(const ConceptualForcing& f, const SnowParams& snow);

// One day of the snow routine: `snowfall` NaN means "split precipitation at the threshold".
// Updates the pack (mm) and returns the water reaching the ground.
double snow_step(double& pack, double precipitation, double temperature, double snowfall,
                 const SnowParams& snow);

// Everything the model carries from one day to the next.
struct ConceptualState {
  Gr4jState gr4j;
  double snow_pack = 0;                   // mm of water (degree-day routine)
  std::vector<CemaNeigeBand> bands = {};  // CemaNeige: one per elevation band
};

// Discharge (mm/day) from the initial state: GR4J behind the model's snow routine, or behind
// none without temperatures.
std::vector<double> run_conceptual(const ConceptualModel& m, const ConceptualForcing& f);

// The same run, day by day from `start`, recording the state after each day in `states` (one
// per day): where forecasts start from. Equal to run_conceptual from the initial state.
std::vector<double> run_conceptual_states(const ConceptualModel& m, const ConceptualForcing& f,
                                          const ConceptualState& start,
                                          std::vector<ConceptualState>& states);

// The state run_conceptual starts from.
ConceptualState initial_conceptual_state(const ConceptualModel& m);

// Which snow routine a calibration builds (with temperatures; without, none).
struct SnowChoice {
  SnowRoutine routine = SnowRoutine::cemaneige;
  // CemaNeige's bands. Default (no elevation information): one band at the input's own
  // elevation, the forcing as it is, and the solid fraction from the mean temperature.
  ElevationBands elevation{};
  bool hysteresis = false;  // CemaNeige's four-parameter variant
};

// GR4J's (GR4H's, hourly) four parameters and the snow routine's by DDS on the NSE, as
// calibrate_gr4j. The
// degree-day routine: melt factor in [0, 10] mm/degC/day, threshold in [-3, 3] degC. CemaNeige:
// CTG in [0, 1], Kf in [0, 10] mm/degC/day, and with hysteresis Gacc in [0.05, 100] mm and the
// threshold share in [0, 1] (airGR's ranges for these two); its mean annual solid
// precipitation comes from `f`. Missing forcing (NaN) is an error: fill gaps first (fill_gaps).
ConceptualModel calibrate_conceptual(const ConceptualForcing& f,
                                     const std::vector<double>& observed,
                                     const CalibrationOptions& o = {}, const SnowChoice& snow = {});

// The snow routine and its calibrated values in words, for logs: "CemaNeige on 5 bands (CTG
// 0.52, Kf 3.10 mm/degC/day)" or "degree-day melt 2.50 mm/degC/day above 0.00 degC".
std::string describe_snow(const ConceptualModel& m);

// The model as stored beside a trained network, and back. Models stored before CemaNeige (no
// "snow" field) read as degree-day. A damaged block throws nlohmann::json::exception (a field
// missing or of the wrong type) or std::runtime_error naming `source` (an unknown routine).
nlohmann::json conceptual_to_json(const ConceptualModel& m);
ConceptualModel conceptual_from_json(const nlohmann::json& j,
                                     const std::string& source = "GR4J baseline");

}  // namespace tessera::hydrology
