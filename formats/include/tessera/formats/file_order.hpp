#pragma once
// Which files in a folder are images, and the order people expect them in: a folder of slices
// is a volume in this order, a folder of trap photos is processed in it.
#include <filesystem>
#include <string>

namespace tessera::formats {

// TIFF, PNG, JPEG, BMP, PGM or PPM by extension, in any case.
bool is_image_file(const std::filesystem::path& p);

// Names compared with runs of digits as numbers: "s2.tif" before "s10.tif".
bool natural_less(const std::string& a, const std::string& b);

}  // namespace tessera::formats
