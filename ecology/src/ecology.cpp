#include "tessera/ecology/ecology.hpp"

#include <opencv2/core/utility.hpp>

namespace tessera::ecology {

Status status() {
  return {
      false,
      "trap images: detector, tiled detection, counting, COCO / YOLO I/O, mAP; not yet available"};
}

std::string library_versions() {
  return "OpenCV " + cv::getVersionString();
}

}  // namespace tessera::ecology
