#pragma once
// What `tessera hydrology synth` writes: a generated catchment's daily series as CSV and a run
// config for it (train, validation and test periods over its years, the GR4J inputs, a small
// model), ready for `tessera hydrology train --config`. Hourly (time_step 1h): a small flashy
// catchment's hourly weather, daily evaporation and 5-minute gauge, each its own CSV, and a
// config that resamples them to hours and forecasts 1 to 12 hours ahead with GR4H beside it.
#include <string>

#include "tessera/data/catchment.hpp"
#include "tessera/data/hourly_catchment.hpp"
#include "tessera/hydrology/series.hpp"

namespace tessera::data {

struct CatchmentFolder {
  std::string folder{};  // created when missing
  CatchmentOptions catchment{};
  std::string mode = "forecasting";  // of the config: forecasting or simulation
  std::string time_step = "1d";      // 1d, or 1h for the hourly catchment
  HourlyCatchmentOptions hourly{};   // its options (years and seed from `catchment`)
};

struct CatchmentFiles {
  std::string csv{}, config{};         // folder/catchment.csv (hourly: the gauge's), catchment.yaml
  hydrology::Day first = 0, last = 0;  // of the series
};

// Writes the files together; throws SettingError for an unknown mode or time step.
CatchmentFiles write_catchment_folder(const CatchmentFolder& f);

}  // namespace tessera::data
