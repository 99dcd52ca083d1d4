#pragma once
// Which files in a folder are images, and the order people expect them in: a folder of slices
// is a volume in this order, a folder of trap photos is processed in it.
#include <filesystem>
#include <string>
#include <vector>

namespace tessera::formats {

// TIFF, PNG, JPEG, BMP, PGM or PPM by extension, in any case.
bool is_image_file(const std::filesystem::path& p);

// Names compared with runs of digits as numbers: "s2.tif" before "s10.tif".
bool natural_less(const std::string& a, const std::string& b);

// The image files directly in `folder` (paths), in the natural order of their names. Throws
// std::runtime_error "<folder>: ..." when it is not a folder or holds no image file; `kind`
// names what they are ("slices", "micrographs").
std::vector<std::string> image_files_in(const std::string& folder, const std::string& kind);

}  // namespace tessera::formats
