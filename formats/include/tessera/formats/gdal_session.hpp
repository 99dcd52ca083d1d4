#pragma once
// The one way tessera talks to GDAL: drivers registered once per process, GDAL's own printing to
// stderr turned off while a session lives, and GDAL's last error turned into the end of an
// exception message, so that a failure is one line that says GDAL's reason.
//
//   GdalSession gdal;
//   GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER);
//   if (!ds) throw std::runtime_error(path + ": not a raster" + GdalSession::reason());
#include <string>

namespace tessera::formats {

class GdalSession {
 public:
  // Registers every driver (the first time in the process), silences GDAL's error handler on
  // this thread and clears its last error. Sessions nest: the handler stack is per thread.
  GdalSession();
  ~GdalSession();
  GdalSession(const GdalSession&) = delete;
  GdalSession& operator=(const GdalSession&) = delete;

  // " (<GDAL's last error on this thread, on one line>)", or "" when it recorded none.
  static std::string reason();
  // Whether GDAL's last error on this thread is a failure (CE_Failure or CE_Fatal), not a warning.
  static bool failed();
};

}  // namespace tessera::formats
