#pragma once
// What `tessera hydrology synth` writes: a generated catchment's daily series as CSV and a run
// config for it (train, validation and test periods over its years, the GR4J inputs, a small
// model), ready for `tessera hydrology train --config`.
#include <string>

#include "tessera/data/catchment.hpp"
#include "tessera/hydrology/series.hpp"

namespace tessera::data {

struct CatchmentFolder {
  std::string folder{};  // created when missing
  CatchmentOptions catchment{};
  std::string mode = "forecasting";  // of the config: forecasting or simulation
};

struct CatchmentFiles {
  std::string csv{}, config{};         // folder/catchment.csv, folder/catchment.yaml
  hydrology::Day first = 0, last = 0;  // of the series
};

// Writes both files together; throws SettingError for an unknown mode.
CatchmentFiles write_catchment_folder(const CatchmentFolder& f);

}  // namespace tessera::data
