// tessera::connectomics — connectomics domain library (stub: reports what it will do and links its
// libraries).
#pragma once

#include <string>

namespace tessera::connectomics {

struct Status {
  bool available;
  const char* what;
};

// Whether the domain's features are available yet, and a one-line description.
Status status();

// Versions of the domain's own libraries, e.g. "ITK 5.2.1, HDF5 1.10.8".
std::string library_versions();

}  // namespace tessera::connectomics
