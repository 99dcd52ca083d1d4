#include "tessera/materials/micrograph.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace tessera::materials {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// Grey 0..1 from any depth OpenCV reads: 8- and 16-bit integers by their full range, floats as
// they are.
cv::Mat to_unit_grey(const cv::Mat& image) {
  cv::Mat grey = image;
  if (image.channels() == 3) cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  if (image.channels() == 4) cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
  const double range = grey.depth() == CV_8U    ? 255.0
                       : grey.depth() == CV_16U ? 65535.0
                       : grey.depth() == CV_16S ? 32767.0
                                                : 1.0;
  cv::Mat out;
  grey.convertTo(out, CV_32F, 1.0 / range);
  return out;
}

// Share of a row's pixels that are pure black or pure white.
double extreme_share(const cv::Mat& grey, int y) {
  const float* p = grey.ptr<float>(y);
  int n = 0;
  for (int x = 0; x < grey.cols; ++x) n += p[x] <= 0.0f || p[x] >= 1.0f;
  return double(n) / grey.cols;
}

}  // namespace

int detect_data_bar(const cv::Mat& grey) {
  int rows = 0;
  while (rows < grey.rows && extreme_share(grey, grey.rows - 1 - rows) > 0.5) ++rows;
  // A dark or saturated strip of a few rows is part of the picture, not a bar.
  return rows >= std::max(2, grey.rows / 50) && rows < grey.rows / 2 ? rows : 0;
}

Micrograph read_micrograph(const std::string& path, const MicrographOptions& o) {
  if (!std::filesystem::is_regular_file(path)) fail(path, "no such image file");
  if (!(o.um_per_px >= 0)) fail(path, "the pixel size must be positive (micrometres per pixel)");
  const cv::Mat raw = cv::imread(path, cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR);
  if (raw.empty()) fail(path, "not an image OpenCV can read (TIFF, PNG, JPEG, ...)");
  Micrograph m{path, to_unit_grey(raw), o.um_per_px, 0};
  m.cropped_rows = o.crop_bottom >= 0 ? o.crop_bottom : detect_data_bar(m.pixels);
  if (m.pixels.rows - m.cropped_rows < 16)
    fail(path, "cutting " + std::to_string(m.cropped_rows) + " rows of data bar leaves " +
                   std::to_string(m.pixels.rows - m.cropped_rows) + " (need 16)");
  m.pixels = m.pixels.rowRange(0, m.pixels.rows - m.cropped_rows).clone();
  return m;
}

Micrograph resample_to(const Micrograph& m, double um_per_px) {
  if (!(m.um_per_px > 0) || !(um_per_px > 0))
    throw std::invalid_argument(m.path +
                                ": resampling needs the pixel size (micrometres per "
                                "pixel) of the image and of the target, both positive");
  const double scale = m.um_per_px / um_per_px;
  const cv::Size size(std::max(1, int(std::lround(m.pixels.cols * scale))),
                      std::max(1, int(std::lround(m.pixels.rows * scale))));
  Micrograph out = m;
  cv::resize(m.pixels, out.pixels, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  out.um_per_px = um_per_px;
  return out;
}

cv::Mat mapped_at(const Micrograph& m, double um_per_px,
                  const std::function<cv::Mat(const cv::Mat&)>& map) {
  const bool resample = um_per_px > 0 && m.um_per_px > 0;
  cv::Mat labels = map(resample ? resample_to(m, um_per_px).pixels : m.pixels);
  if (labels.size() != m.pixels.size())
    cv::resize(labels, labels, m.pixels.size(), 0, 0, cv::INTER_NEAREST);
  return labels;
}

cv::Mat standardised(const cv::Mat& pixels) {
  cv::Scalar mean, sd;
  cv::meanStdDev(pixels, mean, sd);
  cv::Mat out;
  pixels.convertTo(out, CV_32F, 1.0 / std::max(sd[0], 1e-6), -mean[0] / std::max(sd[0], 1e-6));
  return out;
}

}  // namespace tessera::materials
