#pragma once
// Insect counts from detections, the numbers ecologists report: per image and class, and per
// night, trap and class. Every (image, class) gets a row, zeros included, so that an empty trap
// photo reads 0 rather than being missing.
//
//   auto per_image = count_per_image(d.images, d.categories, captures, detections, 0.5);
//   write(to_csv(count_per_night(per_image)));   // night,trap,category,count,images
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/ecology/annotations.hpp"
#include "tessera/ecology/capture_info.hpp"

namespace tessera::ecology {

struct ImageCount {
  std::string image;     // ImageInfo::file_name
  std::string trap;      // "" when unknown
  std::string night;     // night_of the capture time; "" when unknown
  std::string category;  // Category::name
  int64_t count = 0;
};

struct NightCount {
  std::string night, trap, category;
  int64_t count = 0;   // summed over the night's photos of the trap
  int64_t images = 0;  // photos of that night and trap
};

// One row per (image, category), in the order of `images` then `categories`, counting the
// detections with score >= score_threshold. `captures` is parallel to `images`. Throws
// std::invalid_argument when the sizes differ or a detection names an unknown image or category.
std::vector<ImageCount> count_per_image(const std::vector<ImageInfo>& images,
                                        const std::vector<Category>& categories,
                                        const std::vector<CaptureInfo>& captures,
                                        const std::vector<Annotation>& detections,
                                        double score_threshold);

// Sums over the images of one (night, trap, category), sorted by night, trap, category. Images
// without a night are left out here (they keep their per-image rows).
std::vector<NightCount> count_per_night(const std::vector<ImageCount>& per_image);

// CSV with a header row (image,trap,night,category,count and night,trap,category,count,images);
// fields holding a comma, quote or line break are quoted per RFC 4180.
std::string to_csv(const std::vector<ImageCount>& rows);
std::string to_csv(const std::vector<NightCount>& rows);

}  // namespace tessera::ecology
