#pragma once
// The classical baseline the detector must beat: insects are darker than the trap. Darkness
// (255 minus the larger of red and green, which a yellow trap keeps high) is thresholded by
// Otsu's method over the trap (the yellow region: the bench around it does not count), opened to
// drop thin printed grid lines and specks, and each connected component of plausible area
// becomes one box. It cannot tell taxa apart: every box gets
// `category`.
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/ecology/annotations.hpp"

namespace tessera::ecology {

struct ThresholdOptions {
  double min_area = 150;            // pixels: smaller components are specks and droplets
  double max_area_fraction = 0.02;  // of the image: larger ones are shadows or the trap edge
  int open_radius = 1;              // pixels
  int64_t category = 0;
};

// Boxes on an 8-bit BGR image, scored by how dark the component is (0..1).
std::vector<Annotation> threshold_detections(const cv::Mat& bgr, int64_t image_id,
                                             const ThresholdOptions& o = {});

}  // namespace tessera::ecology
