#pragma once
// The conceptual baseline every report shows beside the network: GR4J, behind a degree-day
// snow routine when temperatures are given (without one, GR4J sends winter snowfall straight
// to the river and misses the spring melt of snowy basins).
//
//   ConceptualForcing f{.precipitation = p, .evaporation = pet, .temperature = t};
//   ConceptualModel m = calibrate_conceptual(f, observed, {.warmup = 365});
//   std::vector<double> q = run_conceptual(m, f);   // mm/day
#include <vector>

#include "tessera/hydrology/gr4j.hpp"

namespace tessera::hydrology {

struct ConceptualForcing {
  std::vector<double> precipitation;  // mm/day, all phases
  std::vector<double> evaporation;    // potential, mm/day
  std::vector<double> temperature{};  // mean, degC; empty: no snow routine
  std::vector<double> snowfall{};     // mm/day, the snow part of precipitation; empty: all
                                      // precipitation on days below 0 degC
};

// The degree-day snow routine (used only with temperatures).
struct SnowParams {
  double melt_factor = 0;  // mm / degC / day
  double threshold = 0;    // degC: snow falls below it (unless snowfall is given), melts above
};

struct ConceptualModel {
  Gr4jParams gr4j;
  SnowParams snow;
  double nse = 0;  // on the calibration days
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
  double snow_pack = 0;  // mm of water
};

std::vector<double> run_conceptual(const ConceptualModel& m, const ConceptualForcing& f);

// The same run, day by day from `start`, recording the state after each day in `states` (one
// per day): where forecasts start from. Equal to run_conceptual from the initial state.
std::vector<double> run_conceptual_states(const ConceptualModel& m, const ConceptualForcing& f,
                                          const ConceptualState& start,
                                          std::vector<ConceptualState>& states);

// The state run_conceptual starts from.
ConceptualState initial_conceptual_state(const ConceptualModel& m);

// GR4J's four parameters (and the melt factor in [0, 10] mm/degC/day and threshold in [-3, 3]
// degC) by DDS on the NSE, as calibrate_gr4j. Missing forcing (NaN) is an error: fill gaps first
// (fill_gaps).
ConceptualModel calibrate_conceptual(const ConceptualForcing& f,
                                     const std::vector<double>& observed,
                                     const CalibrationOptions& o = {});

}  // namespace tessera::hydrology
