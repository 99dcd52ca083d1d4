#pragma once
// What `tessera ecology detect` leaves besides COCO results: a CSV of boxes that names each
// photo's file (so it stands on its own in a spreadsheet), the list of photos the run covered,
// and each photo with its boxes drawn for a quick look.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/ecology/annotations.hpp"

namespace tessera::ecology {

// Columns file,image_id,category_id,category,score,x,y,width,height; one row per detection
// scoring at least `score_threshold`: the boxes the counts count, so that the CSV's rows agree
// with them (detections.json keeps every box, for scoring).
std::string detections_csv(const std::vector<ImageInfo>& images,
                           const std::vector<Category>& categories,
                           const std::vector<Annotation>& detections, double score_threshold);

// What a detect run covered, for `count` and `evaluate` to read back with its detections.json:
// the photos (ids, files, sizes; those with no detection too), the categories, and the score
// threshold detections were counted at. A COCO dataset without annotations plus
// "score_threshold", so COCO readers open it as well.
struct DetectionPhotos {
  Dataset photos;  // images and categories
  double score_threshold = 0.5;
};
std::string detection_photos_json(const DetectionPhotos& p);
DetectionPhotos read_detection_photos(const std::string& path);

// Detections whose image ids are those of `run` (a detect run's photos.json) given the ids of
// the same photos in `truth`, matched by file name: the same relative path, else the one run
// photo whose path ends with the truth's (or is ended by it) at a folder boundary. Detections on
// run photos the truth does not list are left out. Throws std::runtime_error naming `source`
// when a truth photo matches none of the run's photos or several, or two truth photos match
// the same one.
std::vector<Annotation> join_by_file_name(const std::vector<Annotation>& detections,
                                          const std::vector<ImageInfo>& run,
                                          const std::vector<ImageInfo>& truth,
                                          const std::string& source);

// A copy of the photo with the boxes scoring at least `score_threshold` drawn, one colour per
// category, and the count per category written in the top-left corner.
cv::Mat draw_detections(const cv::Mat& bgr, const std::vector<Annotation>& detections,
                        const std::vector<Category>& categories, double score_threshold);

}  // namespace tessera::ecology
