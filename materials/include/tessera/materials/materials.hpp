// tessera::materials: micrographs, their weak labels and the scores of phase maps and
// predicted properties (see the other headers of this folder).
#pragma once

#include <string>

namespace tessera::materials {

// Versions of the domain's own libraries, e.g. "OpenCV 4.6.0".
std::string library_versions();

}  // namespace tessera::materials
