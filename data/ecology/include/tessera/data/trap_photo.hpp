#pragma once
// A synthetic sticky-trap photograph with true boxes: a yellow trap with its printed grid,
// uneven lighting and texture, and insects of three shapes (moths with wide wings, flies with a
// narrow body and two clear wings, round beetles) at random sizes, angles and shades, blurred
// and noisy as a hand-held photograph is. For the ecology demo and tests.
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/ecology/annotations.hpp"

namespace tessera::data {

struct TrapPhotoOptions {
  int width = 1024, height = 768;
  int insects = 60;
  double min_size = 14, max_size = 60;      // insect length in pixels
  double blur = 1.0;                        // Gaussian sigma, pixels
  double noise = 6;                         // standard deviation, grey levels
  std::vector<int> categories = {0, 1, 2};  // which shapes to draw
  uint64_t seed = 0;
};

struct TrapPhoto {
  cv::Mat image;                             // 8-bit BGR
  std::vector<ecology::Annotation> insects;  // image_id 0; category 0 moth, 1 fly, 2 beetle
};

// The three categories the generator draws.
std::vector<ecology::Category> trap_categories();

TrapPhoto make_trap_photo(const TrapPhotoOptions& o);

}  // namespace tessera::data
