#pragma once
// A folder's images by stem: how micrographs, label masks and their predictions are matched
// by name whatever their extension.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tessera/formats/file_order.hpp"

namespace tessera::materials {

// (stem, path) of every image file directly in `folder`, in natural order; throws as
// formats::image_files_in, `kind` naming what they are.
inline std::vector<std::pair<std::string, std::string>> images_by_stem(const std::string& folder,
                                                                       const std::string& kind) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& path : formats::image_files_in(folder, kind))
    out.push_back({std::filesystem::path(path).stem().string(), path});
  return out;
}

}  // namespace tessera::materials
