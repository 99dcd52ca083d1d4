// tessera bench ecology-baseline: the classical detector (threshold + connected components)
// that the learned one must beat, with its settings chosen on the training photos only: the
// minimum component area with the best mAP@0.5, then the score threshold whose counts come
// closest to the truth. Scores on the held-out photos, as JSON like `ecology evaluate`.
#include "tessera/bench/ecology_baseline.hpp"

#include "tessera/ecology/detection_metrics.hpp"
#include "tessera/ecology/detector.hpp"
#include "tessera/ecology/photos.hpp"
#include "tessera/ecology/threshold_detector.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::bench {

using namespace tessera::ecology;

namespace {

std::vector<Annotation> baseline_detections(const Dataset& d, const std::string& images,
                                            double min_area) {
  const int64_t category = annotated_categories(d).at(0).id;
  std::vector<Annotation> out;
  for (const ImageInfo& info : d.images) {
    const auto boxes = threshold_detections(read_annotated_photo(images, info), info.id,
                                            {.min_area = min_area, .category = category});
    out.insert(out.end(), boxes.begin(), boxes.end());
  }
  return out;
}

}  // namespace

nlohmann::json run_ecology_baseline(const EcologyBaselineOptions& o) {
  if (o.min_areas.empty()) throw SettingError("min_areas", "give at least one area");
  const Dataset train = read_coco(o.train), test = read_coco(o.test);
  if (annotated_categories(train).size() != 1)
    throw std::invalid_argument(o.train +
                                ": the threshold baseline tells no taxa apart; it needs one "
                                "annotated category");
  double best_area = o.min_areas.front(), best_map = -1, threshold = 0.5;
  for (double area : o.min_areas) {
    const auto boxes = baseline_detections(train, o.images, area);
    const double map50 = score_detections(train, boxes).map50;
    if (o.log) *o.log << "  min_area " << area << ": training mAP@0.5 " << map50 << "\n";
    if (map50 > best_map) {
      best_map = map50, best_area = area;
      threshold = count_threshold(train, boxes);
    }
  }
  const DetectionScores s =
      score_detections(test, baseline_detections(test, o.images, best_area), threshold);
  nlohmann::json j = scores_json(s, test.categories, threshold);
  j["method"] = "threshold + connected components";
  j["min_area"] = best_area;
  if (!o.output.empty()) write_atomically(o.output, j.dump(2) + "\n");
  return j;
}

}  // namespace tessera::bench
