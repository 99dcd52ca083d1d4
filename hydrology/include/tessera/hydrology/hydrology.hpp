// tessera::hydrology — hydrology domain library (stub: reports what it will do and links its
// libraries).
#pragma once

#include <string>

namespace tessera::hydrology {

struct Status {
  bool available;
  const char* what;
};

// Whether the domain's features are available yet, and a one-line description.
Status status();

// Versions of the domain's own libraries, e.g. "GDAL 3.6.2, netCDF 4.9.0".
std::string library_versions();

}  // namespace tessera::hydrology
