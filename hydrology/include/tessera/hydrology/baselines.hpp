#pragma once
// The baselines every evaluation shows beside the network: GR4J (with its snow routine where
// temperatures are given) calibrated on the training period, persistence (the discharge of the
// issue day) and climatology (the training period's mean discharge of the target's day of year).
#include <array>
#include <vector>

#include "tessera/hydrology/conceptual.hpp"
#include "tessera/hydrology/config.hpp"

namespace tessera::hydrology {

// Whether the config names GR4J's inputs (precipitation and evaporation).
bool has_gr4j_inputs(const HydrologyConfig& c);

// GR4J's forcing over the whole series in mm/day and degC, converted where the units say so;
// gaps filled from the training period's day-of-year climatology.
ConceptualForcing conceptual_forcing(const HydrologyConfig& c, const TimeSeries& s);

// Calibrated on the training period (run from the start of the series; the first year of the
// run is not scored).
ConceptualModel calibrate_baseline(const HydrologyConfig& c, const TimeSeries& s,
                                   int evaluations = 4000);

// Simulated discharge over the whole series, mm/day: the baseline of simulation mode.
std::vector<double> baseline_discharge(const ConceptualModel& m, const HydrologyConfig& c,
                                       const TimeSeries& s);

// GR4J's forecasts at the config's lead times from each issue day, [issue][lead] in mm/day:
// its state at the end of the issue day, then the weather forecasts issued that day where
// `forecasts` has them (in the units of `s`), else no precipitation and the training period's
// day-of-year temperature and evaporation. Like the network it reads nothing observed after
// the issue day. NaN for issue days outside the series.
std::vector<double> baseline_forecasts(const ConceptualModel& m, const HydrologyConfig& c,
                                       const TimeSeries& s, const std::vector<Step>& issues,
                                       const WeatherForecasts& forecasts = {});

// Day-of-year climatology of the discharge over the training period; days of the year the
// training period never saw take its overall mean.
std::array<double, 367> discharge_climatology(const HydrologyConfig& c, const TimeSeries& s);

}  // namespace tessera::hydrology
