#pragma once
// From the detector's output to boxes. The output ([1, classes + 2, H, W]: heat logits, then
// log width and log height) arrives region by region from the tiled executor; CentreCollector
// keeps only pixels whose score reaches `min_score`, so memory follows the objects, not the
// image. A kept pixel is a detection when no 8-neighbour of its class scores higher (ties go to
// the earlier pixel); pixels below `min_score` cannot outscore it, so the sparse test is exact,
// and a peak on a tile border is found once whatever the tiling. Class-wise non-maximum
// suppression then merges what remains of one object (two peaks a few pixels apart).
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "tessera/ecology/annotations.hpp"
#include "tessera/io/region.hpp"

namespace tessera::ecology {

struct DecodeOptions {
  double min_score = 0.05;  // scores below are never detections
  double nms_iou = 0.5;     // a box overlapping a better one of its class this much is dropped
  int64_t max_detections = 3000;
};

// Keeps the boxes that no better box of the same image and category overlaps by more than
// `iou_threshold`; returns them by decreasing score.
std::vector<Annotation> non_max_suppression(std::vector<Annotation> boxes, double iou_threshold);

class CentreCollector final : public VolumeSink {
 public:
  // `size`: the image's height and width.
  CentreCollector(int64_t classes, const Shape& size, double min_score);
  void write(const Region& region, const Tensor& data) override;
  void commit() override {}

  // Boxes with category_id the class index, on `image_id`, clipped to the image.
  std::vector<Annotation> detections(int64_t image_id, const DecodeOptions& o) const;
  std::size_t candidates() const { return kept_.size(); }

 private:
  struct Pixel {
    float score, log_width, log_height;
  };
  int64_t classes_, height_, width_;
  double min_score_;
  std::unordered_map<int64_t, Pixel> kept_;  // key (class * H + y) * W + x
};

// Decodes a whole output [1, classes + 2, H, W] at once (what CentreCollector gives for it).
std::vector<Annotation> decode_centres(const Tensor& output, int64_t image_id,
                                       const DecodeOptions& o);

}  // namespace tessera::ecology
