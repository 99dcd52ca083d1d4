#include "tessera/video/video.hpp"

#include <opencv2/core/utility.hpp>

namespace tessera::video {

Status status() {
  return {false,
          "frames: OpenCV I/O, noise models, multi-frame denoiser, PSNR / SSIM; not yet available"};
}

std::string library_versions() {
  return "OpenCV " + cv::getVersionString();
}

}  // namespace tessera::video
