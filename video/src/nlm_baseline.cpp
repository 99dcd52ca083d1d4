// Non-local means across frames, the baseline of the video reports.
#include "tessera/video/nlm_baseline.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/photo.hpp>

#include "tessera/video/sensor_noise.hpp"

namespace tessera::video {

float linear_to_srgb(float v) {
  v = std::clamp(v, 0.0f, 1.0f);
  return v <= 0.0031308f ? 12.92f * v : 1.055f * std::pow(v, 1 / 2.4f) - 0.055f;
}

cv::Mat nlm_denoise(const std::vector<cv::Mat>& planes, float strength) {
  if (planes.empty() || planes.size() % 2 == 0)
    throw std::invalid_argument("non-local means needs an odd window of frames");
  std::vector<cv::Mat> display;
  for (const cv::Mat& p : planes) {
    cv::Mat d(p.size(), CV_8U);
    for (int y = 0; y < p.rows; ++y)
      for (int x = 0; x < p.cols; ++x)
        d.at<uint8_t>(y, x) = cv::saturate_cast<uint8_t>(255 * linear_to_srgb(p.at<float>(y, x)));
    display.push_back(d);
  }
  const int middle = int(planes.size() / 2);
  cv::Mat out;
  cv::fastNlMeansDenoisingMulti(display, out, middle, int(planes.size()), strength, 7, 21);
  cv::Mat linear(out.size(), CV_32F);
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x)
      linear.at<float>(y, x) = srgb_to_linear(float(out.at<uint8_t>(y, x)) / 255);
  return linear;
}

}  // namespace tessera::video
