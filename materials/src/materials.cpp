#include "tessera/materials/materials.hpp"

#include <opencv2/core/utility.hpp>

namespace tessera::materials {

std::string library_versions() {
  return "OpenCV " + cv::getVersionString();
}

}  // namespace tessera::materials
