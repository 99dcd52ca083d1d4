#pragma once
// What `tessera ecology detect` leaves for people and other programs besides COCO results: a
// CSV of boxes that names each photo's file (so it stands on its own), read back by `count`,
// and the photo with its boxes drawn for a quick look.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/ecology/annotations.hpp"

namespace tessera::ecology {

// Columns file,image_id,category_id,category,score,x,y,width,height; one row per detection.
std::string detections_csv(const std::vector<ImageInfo>& images,
                           const std::vector<Category>& categories,
                           const std::vector<Annotation>& detections);

// Reads detections_csv's output; `images` gets the files it names (ids as written). Throws
// with the file and line of anything malformed.
std::vector<Annotation> read_detections_csv(const std::string& path, std::vector<ImageInfo>& images,
                                            std::vector<Category>& categories);

// A copy of the photo with the boxes scoring at least `score_threshold` drawn, one colour per
// category, and the count per category written in the top-left corner.
cv::Mat draw_detections(const cv::Mat& bgr, const std::vector<Annotation>& detections,
                        const std::vector<Category>& categories, double score_threshold);

}  // namespace tessera::ecology
