// tessera::hydrology — river discharge: readers (readers.hpp), runs from configs (config.hpp),
// the LSTM ensemble (discharge_model.hpp), GR4J with snow (conceptual.hpp), skill scores
// (metrics.hpp, evaluation.hpp) and operational forecasts (forecast.hpp).
#pragma once

#include <string>

namespace tessera::hydrology {

// Versions of the domain's own libraries, e.g. "GDAL 3.6.2, netCDF 4.9.0".
std::string library_versions();

}  // namespace tessera::hydrology
