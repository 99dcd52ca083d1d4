#pragma once
// Trap photographs on disk: finding them in a folder and reading them as 8-bit BGR (OpenCV's
// order, EXIF orientation applied as cameras intend).
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/ecology/annotations.hpp"

namespace tessera::ecology {

// Image files (formats::is_image_file) under `folder`, searched recursively,
// as paths relative to it in natural sorted order. Throws when the folder does not exist or
// holds none.
std::vector<std::string> list_photos(const std::string& folder);

// Throws std::runtime_error naming the file when it is missing or not an image.
cv::Mat read_photo(const std::string& path);

// Reads the photo of `info` from `folder` and checks its size against the annotations' (a
// rotated or resized photo would put every box in the wrong place).
cv::Mat read_annotated_photo(const std::string& folder, const ImageInfo& info);

}  // namespace tessera::ecology
