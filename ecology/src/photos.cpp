#include "tessera/ecology/photos.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>

#include "tessera/ecology/photo_check.hpp"
#include "tessera/formats/file_order.hpp"

namespace tessera::ecology {

namespace fs = std::filesystem;

namespace {

bool is_photo_file(const std::string& images) {
  return fs::is_regular_file(images) && formats::is_image_file(images);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) throw std::runtime_error(path + ": cannot read");
  return bytes.str();
}

}  // namespace

std::string photo_folder(const std::string& images) {
  if (!is_photo_file(images)) return images;
  const fs::path parent = fs::path(images).parent_path();
  return parent.empty() ? "." : parent.string();
}

std::vector<std::string> list_photos(const std::string& images) {
  if (is_photo_file(images)) return {fs::path(images).filename().string()};
  if (!fs::is_directory(images))
    throw std::runtime_error(images + ": no such folder of photos (nor a photo file)");
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(images))
    if (e.is_regular_file() && formats::is_image_file(e.path()))
      // Lexically: a photo linked in from elsewhere keeps its name here.
      out.push_back(e.path().lexically_relative(images).generic_string());
  if (out.empty())
    throw std::runtime_error(images +
                             ": holds no photos (jpg, jpeg, png, tif, tiff, bmp, pgm, ppm)");
  std::sort(out.begin(), out.end(), formats::natural_less);
  return out;
}

cv::Mat read_photo(const std::string& path) {
  if (!fs::is_regular_file(path)) throw std::runtime_error(path + ": no such photo");
  if (fs::file_size(path) > uintmax_t(max_photo_pixels) * 3)
    throw std::runtime_error(path + ": larger than any photo tessera reads (" +
                             std::to_string(fs::file_size(path)) + " bytes)");
  check_photo_bytes(file_bytes(path), path);
  cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
  if (m.empty()) throw std::runtime_error(path + ": not a readable image");
  check_photo_size({m.cols, m.rows}, path);
  return m;
}

cv::Mat read_annotated_photo(const std::string& folder, const ImageInfo& info) {
  const std::string path = (fs::path(folder) / info.file_name).string();
  cv::Mat m = read_photo(path);
  if (info.width > 0 && info.height > 0 && (m.cols != info.width || m.rows != info.height))
    throw std::runtime_error(path + ": is " + std::to_string(m.cols) + "x" +
                             std::to_string(m.rows) + " but the annotations say " +
                             std::to_string(info.width) + "x" + std::to_string(info.height));
  return m;
}

}  // namespace tessera::ecology
