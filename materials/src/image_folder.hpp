#pragma once
// A folder's images by stem, and each read with what is known of it: how micrographs, label
// masks and their predictions are matched by name whatever their extension, for every
// materials workflow.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tessera/formats/csv_table.hpp"
#include "tessera/formats/file_order.hpp"
#include "tessera/materials/workflow.hpp"

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

// The same as a map from stem to path, for looking images up by the names a table gives.
inline std::map<std::string, std::string> image_files_by_stem(const std::string& folder,
                                                              const std::string& kind) {
  std::map<std::string, std::string> out;
  for (auto& [stem, path] : images_by_stem(folder, kind)) out[stem] = path;
  return out;
}

// The column of a table that names images: name, image, file or filename (a path's stem
// counts). Throws naming the file when there is none.
int image_column(const formats::CsvTable& t);

// A table cell as a finite number, or nothing when it is not one (whole cell, no trailing text).
std::optional<double> number_in_cell(const std::string& cell);

// The micrograph at `path` with its pixel size: the inputs' own when given, else the table's.
Micrograph read_input(const std::string& path, const std::string& stem, const ImageInputs& in,
                      const std::map<std::string, ImageFacts>& facts);

// The facts of `in.metadata`, or none when it is not given.
std::map<std::string, ImageFacts> facts_of(const ImageInputs& in);

// The pixel size to train at from the images' (0: unknown): `wanted` when positive, else their
// median; 0 when none is known (then the images are used as they are). Throws SettingError when
// only some are known, `what` naming the images.
double common_pixel_size(std::vector<double> sizes, double wanted, const std::string& what);

}  // namespace tessera::materials
