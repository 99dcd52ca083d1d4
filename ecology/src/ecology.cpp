#include "tessera/ecology/ecology.hpp"

#include <opencv2/core/utility.hpp>

namespace tessera::ecology {

Status status() {
  return {true,
          "trap photographs: centre-heatmap detector, tiled detection, counts per night and trap, "
          "COCO / YOLO, mAP"};
}

std::string library_versions() {
  return "OpenCV " + cv::getVersionString();
}

}  // namespace tessera::ecology
