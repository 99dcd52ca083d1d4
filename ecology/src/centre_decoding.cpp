#include "tessera/ecology/centre_decoding.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "tessera/ecology/detection_metrics.hpp"

namespace tessera::ecology {

std::vector<Annotation> non_max_suppression(std::vector<Annotation> boxes, double iou_threshold) {
  std::stable_sort(boxes.begin(), boxes.end(),
                   [](const Annotation& a, const Annotation& b) { return a.score > b.score; });
  std::map<std::pair<int64_t, int64_t>, std::vector<const Annotation*>> kept_by_class;
  std::vector<Annotation> kept;
  for (const Annotation& b : boxes) {
    auto& same = kept_by_class[{b.image_id, b.category_id}];
    const bool overlaps = std::any_of(same.begin(), same.end(), [&](const Annotation* k) {
      return iou(k->box, b.box) > iou_threshold;
    });
    if (overlaps) continue;
    same.push_back(&b);  // `boxes` no longer changes, so its addresses hold
    kept.push_back(b);
  }
  return kept;
}

CentreCollector::CentreCollector(int64_t classes, const Shape& size, double min_score)
    : classes_(classes),
      height_(size.size() == 2 ? size[0] : 0),
      width_(size.size() == 2 ? size[1] : 0),
      min_score_(min_score) {
  if (size.size() != 2) throw std::invalid_argument("CentreCollector: needs a 2D image size");
}

void CentreCollector::write(const Region& region, const Tensor& data) {
  const Tensor d = data.to_plain();
  if (d.ndim() != 4 || d.dim(1) != classes_ + 2)
    throw std::invalid_argument("detector output " + to_string(d.shape()) + " should have " +
                                std::to_string(classes_ + 2) + " channels");
  const int64_t h = region.size[0], w = region.size[1], plane = h * w;
  // score >= min_score  <=>  logit >= log(min_score / (1 - min_score))
  const float min_logit = float(std::log(min_score_ / (1 - min_score_)));
  const float* size_w = d.data() + classes_ * plane;
  const float* size_h = size_w + plane;
  for (int64_t c = 0; c < classes_; ++c) {
    const float* heat = d.data() + c * plane;
    for (int64_t i = 0; i < plane; ++i) {
      if (!(heat[i] >= min_logit)) continue;
      const int64_t y = region.origin[0] + i / w, x = region.origin[1] + i % w;
      const float score = 1.f / (1.f + std::exp(-heat[i]));
      kept_[(c * height_ + y) * width_ + x] = {score, size_w[i], size_h[i]};
    }
  }
}

std::vector<Annotation> CentreCollector::detections(int64_t image_id,
                                                    const DecodeOptions& o) const {
  std::vector<Annotation> peaks;
  for (const auto& [key, p] : kept_) {
    const int64_t x = key % width_, y = key / width_ % height_, c = key / (width_ * height_);
    bool peak = true;
    for (int64_t dy = -1; dy <= 1 && peak; ++dy)
      for (int64_t dx = -1; dx <= 1 && peak; ++dx) {
        const int64_t ny = y + dy, nx = x + dx;
        if ((dy == 0 && dx == 0) || ny < 0 || nx < 0 || ny >= height_ || nx >= width_) continue;
        const int64_t nkey = (c * height_ + ny) * width_ + nx;
        const auto n = kept_.find(nkey);
        if (n == kept_.end()) continue;
        peak = !(n->second.score > p.score || (n->second.score == p.score && nkey < key));
      }
    if (!peak) continue;
    // The centre pixel holds the box centre to within half a pixel.
    const double bw = std::exp(double(p.log_width)), bh = std::exp(double(p.log_height));
    const double cx = double(x) + 0.5, cy = double(y) + 0.5;
    const double x0 = std::max(0.0, cx - bw / 2), y0 = std::max(0.0, cy - bh / 2);
    const double x1 = std::min(double(width_), cx + bw / 2),
                 y1 = std::min(double(height_), cy + bh / 2);
    if (!(x1 > x0 && y1 > y0)) continue;
    peaks.push_back({.image_id = image_id,
                     .category_id = c,
                     .box = {x0, y0, x1 - x0, y1 - y0},
                     .score = double(p.score)});
  }
  // Hash order is arbitrary: sort by score, then position, so results never depend on it.
  std::sort(peaks.begin(), peaks.end(), [](const Annotation& a, const Annotation& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.category_id != b.category_id) return a.category_id < b.category_id;
    if (a.box.y != b.box.y) return a.box.y < b.box.y;
    return a.box.x < b.box.x;
  });
  // Suppression is quadratic in the peaks; far more than can be kept are not worth comparing.
  if (int64_t(peaks.size()) > 4 * o.max_detections) peaks.resize(size_t(4 * o.max_detections));
  std::vector<Annotation> kept = non_max_suppression(std::move(peaks), o.nms_iou);
  if (int64_t(kept.size()) > o.max_detections) kept.resize(size_t(o.max_detections));
  return kept;
}

std::vector<Annotation> decode_centres(const Tensor& output, int64_t image_id,
                                       const DecodeOptions& o) {
  if (output.ndim() != 4 || output.dim(0) != 1 || output.dim(1) < 3)
    throw std::invalid_argument("decode_centres: output " + to_string(output.shape()) +
                                " is not [1, classes + 2, H, W]");
  CentreCollector c(output.dim(1) - 2, {output.dim(2), output.dim(3)}, o.min_score);
  c.write(Region::whole({output.dim(2), output.dim(3)}), output);
  return c.detections(image_id, o);
}

}  // namespace tessera::ecology
