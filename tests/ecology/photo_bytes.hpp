#pragma once
// Small photo files made in the test, whole or damaged, for the readers' tests: no binary blobs
// in git.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace tessera::testing {

// A photo of `width` x `height` with structure everywhere (so every part of a JPEG's data
// matters), encoded as ".jpg" or ".png".
inline std::string photo_bytes(const std::string& ext, int width = 64, int height = 48) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      m.at<cv::Vec3b>(y, x) = {uint8_t(x * 4), uint8_t(y * 5), uint8_t((x * y) % 251)};
  std::vector<uint8_t> bytes;
  cv::imencode(ext, m, bytes);
  return {bytes.begin(), bytes.end()};
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline void put_big_endian(std::string& b, std::size_t at, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    b[at + std::size_t(i)] = char((v >> (8 * (bytes - 1 - i))) & 0xFF);
}

// The JPEG with its frame header (SOF0) announcing `width` x `height`.
inline std::string jpeg_claiming(std::string jpeg, uint32_t width, uint32_t height) {
  const std::size_t sof = jpeg.find("\xFF\xC0");
  put_big_endian(jpeg, sof + 5, height, 2);
  put_big_endian(jpeg, sof + 7, width, 2);
  return jpeg;
}

inline uint32_t crc32(const std::string& bytes, std::size_t from, std::size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = from; i < from + n; ++i) {
    c ^= uint8_t(bytes[i]);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// The PNG with its IHDR announcing `width` x `height`, its CRC made right again.
inline std::string png_claiming(std::string png, uint32_t width, uint32_t height) {
  put_big_endian(png, 16, width, 4);
  put_big_endian(png, 20, height, 4);
  put_big_endian(png, 29, crc32(png, 12, 17), 4);
  return png;
}

}  // namespace tessera::testing
