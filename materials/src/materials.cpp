#include "tessera/materials/materials.hpp"

#include <opencv2/core/utility.hpp>

namespace tessera::materials {

Status status() {
  return {false,
          "surface images: weakly supervised segmentation from image-level labels, property "
          "regression; not yet available"};
}

std::string library_versions() {
  return "OpenCV " + cv::getVersionString();
}

}  // namespace tessera::materials
