#pragma once
// The classical baseline every report shows beside the network: OpenCV's multi-frame non-local
// means (fastNlMeansDenoisingMulti) over a 5-frame window of each colour plane, run on the
// frames as a viewer sees them (sRGB, 8 bit), as the method was designed for.
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace tessera::video {

// planes: the window's frames of one colour plane in linear light (CV_32F, white 1), the middle
// one denoised; strength: OpenCV's h (in 8-bit levels). -> CV_32F linear light.
cv::Mat nlm_denoise(const std::vector<cv::Mat>& planes, float strength);

// Linear light in 0..1 -> sRGB display value in 0..1 (the sRGB curve; clipped).
float linear_to_srgb(float v);

}  // namespace tessera::video
