#pragma once
// Trap photographs on disk: finding them in a folder (or taking the one photo named) and reading
// them as 8-bit BGR (OpenCV's order, EXIF orientation applied as cameras intend). A photo is
// read only when it is whole: a truncated or corrupt JPEG or PNG, which OpenCV would decode with
// grey where the data is missing, is an error, and so is a header announcing a photo larger than
// any camera takes, before anything is allocated for it.
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/ecology/annotations.hpp"

namespace tessera::ecology {

// Photos larger than this (in either side, or in pixels) are refused from their header.
constexpr int64_t max_photo_side = 65535;                 // JPEG's own limit
constexpr int64_t max_photo_pixels = int64_t(400) << 20;  // 419 megapixels, 1.2 GB as BGR

// The folder photo names are relative to: `images` itself when it is a folder, the folder
// holding it when it is one photo file.
std::string photo_folder(const std::string& images);

// Image files (formats::is_image_file) under the folder `images`, searched recursively, as paths
// relative to it in natural sorted order; or, when `images` is one photo file, its name alone.
// Throws when it does not exist or holds none.
std::vector<std::string> list_photos(const std::string& images);

// Throws std::runtime_error naming the file when it is missing, not an image, larger than the
// limits above, or (JPEG, PNG) truncated or corrupt.
cv::Mat read_photo(const std::string& path);

// Reads the photo of `info` from `folder` and checks its size against the annotations' (a
// rotated or resized photo would put every box in the wrong place).
cv::Mat read_annotated_photo(const std::string& folder, const ImageInfo& info);

}  // namespace tessera::ecology
