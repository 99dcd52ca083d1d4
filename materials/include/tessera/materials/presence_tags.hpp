#pragma once
// Weak labels: which phases are present in an image or in a region of it, as a table with a row
// per image (or per tile of one) and a 0/1 column per phase:
//
//   name,has_matrix,has_network,has_spheroidite          (per image)
//   name,y0,y1,x0,x1,has_matrix,has_network,...          (per region; half-open pixel ranges)
//
// The phases are the `has_` columns in their order; names are image file names with or without
// their extension.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace tessera::materials {

struct RegionTag {
  std::string image;          // as the table names it
  cv::Rect region{};          // empty: the whole image
  std::vector<bool> present;  // one per phase
  int64_t line = 0;           // of the table, for messages
};

struct PresenceTags {
  std::vector<std::string> phases;  // the has_ columns without the prefix
  std::vector<RegionTag> tags;
};

// Throws std::runtime_error naming the file and line for: no name column, no has_ column, a
// value other than 0 or 1, a region given in part or empty or negative, and a region tagged
// twice.
PresenceTags read_presence_tags(const std::string& path);

}  // namespace tessera::materials
