#include "tessera/formats/png.hpp"

#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tessera/io/atomic_file.hpp"

namespace tessera {

void write_rgb_png(const std::string& path, int width, int height,
                   const std::vector<uint8_t>& rgb) {
  if (width < 1 || height < 1 || rgb.size() != size_t(width) * size_t(height) * 3)
    throw std::invalid_argument("write_rgb_png: " + std::to_string(rgb.size()) + " bytes for " +
                                std::to_string(width) + " x " + std::to_string(height) + " RGB");
  const cv::Mat in(height, width, CV_8UC3, const_cast<uint8_t*>(rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(in, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> png;
  if (!cv::imencode(".png", bgr, png)) throw std::runtime_error("could not encode " + path);
  write_atomically(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace tessera
