#include "tessera/ecology/photos.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>

#include "tessera/formats/file_order.hpp"

namespace tessera::ecology {

namespace fs = std::filesystem;

std::vector<std::string> list_photos(const std::string& folder) {
  if (!fs::is_directory(folder)) throw std::runtime_error(folder + ": no such folder of photos");
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    if (e.is_regular_file() && formats::is_image_file(e.path()))
      // Lexically: a photo linked in from elsewhere keeps its name here.
      out.push_back(e.path().lexically_relative(folder).generic_string());
  if (out.empty())
    throw std::runtime_error(folder +
                             ": holds no photos (jpg, jpeg, png, tif, tiff, bmp, pgm, ppm)");
  std::sort(out.begin(), out.end(), formats::natural_less);
  return out;
}

cv::Mat read_photo(const std::string& path) {
  if (!fs::is_regular_file(path)) throw std::runtime_error(path + ": no such photo");
  cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
  if (m.empty()) throw std::runtime_error(path + ": not a readable image");
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
