#include "tessera/formats/png.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tessera/io/atomic_file.hpp"

namespace tessera {

namespace {

// `picture` with a white strip below holding `caption` in dark grey, as wide as fits.
cv::Mat with_caption(const cv::Mat& picture, const std::string& caption) {
  const int font = cv::FONT_HERSHEY_SIMPLEX, margin = 4;
  int baseline = 0;
  const cv::Size at_one = cv::getTextSize(caption, font, 1.0, 1, &baseline);
  const double scale = std::min(0.5, double(picture.cols - 2 * margin) / at_one.width);
  const int strip = int(std::ceil((at_one.height + baseline) * scale)) + 2 * margin;
  cv::Mat out(picture.rows + strip, picture.cols, picture.type(), cv::Scalar::all(255));
  picture.copyTo(out(cv::Rect(0, 0, picture.cols, picture.rows)));
  cv::putText(out, caption, {margin, out.rows - margin - int(baseline * scale)}, font, scale,
              cv::Scalar::all(40), 1, cv::LINE_AA);
  return out;
}

}  // namespace

void write_rgb_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb,
                   const std::string& caption) {
  if (width < 1 || height < 1 || rgb.size() != size_t(width) * size_t(height) * 3)
    throw std::invalid_argument("write_rgb_png: " + std::to_string(rgb.size()) + " bytes for " +
                                std::to_string(width) + " x " + std::to_string(height) + " RGB");
  const cv::Mat in(height, width, CV_8UC3, const_cast<uint8_t*>(rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(in, bgr, cv::COLOR_RGB2BGR);
  if (!caption.empty()) bgr = with_caption(bgr, caption);
  std::vector<uchar> png;
  if (!cv::imencode(".png", bgr, png)) throw std::runtime_error("could not encode " + path);
  write_atomically(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace tessera
