#include "tessera/ecology/detection_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "tessera/formats/csv_table.hpp"

namespace tessera::ecology {
namespace {

struct Matches {
  std::vector<double> scores;  // every detection, in decreasing score
  std::vector<bool> hit;       // whether it matched a truth box
  int64_t truth = 0;
};

// Greedy COCO matching of one class at one IoU threshold over all images.
Matches match(const std::vector<Annotation>& truth, std::vector<Annotation> detections,
              double threshold) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Annotation& a, const Annotation& b) { return a.score > b.score; });
  std::vector<bool> used(truth.size(), false);
  Matches m{{}, {}, int64_t(truth.size())};
  for (const Annotation& d : detections) {
    double best = threshold;
    int64_t found = -1;
    for (size_t t = 0; t < truth.size(); ++t) {
      if (used[t] || truth[t].image_id != d.image_id) continue;
      const double o = iou(d.box, truth[t].box);
      if (o >= best) best = o, found = int64_t(t);
    }
    if (found >= 0) used[size_t(found)] = true;
    m.scores.push_back(d.score);
    m.hit.push_back(found >= 0);
  }
  return m;
}

std::vector<Annotation> of_class(const std::vector<Annotation>& v, int64_t category) {
  std::vector<Annotation> out;
  for (const Annotation& a : v)
    if (a.category_id == category) out.push_back(a);
  return out;
}

}  // namespace

double iou(const Box& a, const Box& b) {
  const double w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  const double h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const double inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

PrCurve precision_recall_curve(const std::vector<Annotation>& truth,
                               const std::vector<Annotation>& detections, double iou_threshold) {
  const Matches m = match(truth, detections, iou_threshold);
  PrCurve c;
  double tp = 0;
  for (size_t i = 0; i < m.hit.size(); ++i) {
    tp += m.hit[i];
    c.precision.push_back(tp / double(i + 1));
    c.recall.push_back(m.truth > 0 ? tp / double(m.truth) : 0);
  }
  return c;
}

double average_precision(const std::vector<Annotation>& truth,
                         const std::vector<Annotation>& detections, double iou_threshold) {
  if (truth.empty()) return NAN;
  auto [recall, precision] = precision_recall_curve(truth, detections, iou_threshold);
  const size_t n = recall.size();
  // The envelope: precision at a recall is the best precision at that recall or beyond.
  for (size_t i = n; i-- > 1;) precision[i - 1] = std::max(precision[i - 1], precision[i]);
  double sum = 0;
  for (int k = 0; k <= 100; ++k) {
    const double r = k / 100.0;
    const auto it = std::lower_bound(recall.begin(), recall.end(), r - 1e-12);
    if (it != recall.end()) sum += precision[size_t(it - recall.begin())];
  }
  return sum / 101;
}

CountError count_error(const Dataset& truth, const std::vector<Annotation>& detections,
                       double score_threshold, const std::set<int64_t>& categories) {
  std::map<std::pair<int64_t, int64_t>, double> surplus;  // (image, category) -> found - true
  for (const Annotation& a : truth.annotations) surplus[{a.image_id, a.category_id}] -= 1;
  for (const Annotation& d : detections)
    if (d.score >= score_threshold) surplus[{d.image_id, d.category_id}] += 1;
  CountError e;
  for (const ImageInfo& im : truth.images)
    for (int64_t c : categories) {
      const auto it = surplus.find({im.id, c});
      if (it != surplus.end()) e.absolute += std::abs(it->second);
      e.cells += 1;
    }
  for (const Annotation& a : truth.annotations) e.truth += categories.count(a.category_id);
  return e;
}

DetectionScores score_detections(const Dataset& truth, const std::vector<Annotation>& detections,
                                 double score_threshold) {
  DetectionScores s;
  std::set<int64_t> classes;
  for (const Annotation& a : truth.annotations) classes.insert(a.category_id);
  double sum50 = 0, sum_all = 0;
  for (int64_t c : classes) {
    const auto t = of_class(truth.annotations, c), d = of_class(detections, c);
    ClassScores& k = s.classes[c];
    k.truth = int64_t(t.size());
    s.ap50[c] = k.ap50 = average_precision(t, d, 0.5);
    sum50 += s.ap50[c];
    double over_thresholds = 0;
    for (int i = 0; i < 10; ++i) over_thresholds += average_precision(t, d, 0.5 + 0.05 * i);
    k.ap50_95 = over_thresholds / 10;
    sum_all += k.ap50_95;
  }
  if (!classes.empty()) s.map50 = sum50 / double(classes.size());
  if (!classes.empty()) s.map50_95 = sum_all / double(classes.size());

  std::vector<Annotation> kept;
  for (const Annotation& d : detections)
    if (d.score >= score_threshold) kept.push_back(d);
  for (int64_t c : classes) {
    const Matches m = match(of_class(truth.annotations, c), of_class(kept, c), 0.5);
    const int64_t tp = std::count(m.hit.begin(), m.hit.end(), true);
    ClassScores& k = s.classes[c];
    k.detections = int64_t(m.hit.size());
    k.true_positives = tp, k.false_positives = k.detections - tp, k.false_negatives = m.truth - tp;
    s.true_positives += tp;
    s.false_positives += int64_t(m.hit.size()) - tp;
    s.false_negatives += m.truth - tp;
  }
  // Detections of classes without truth are false positives too.
  for (const Annotation& d : kept) s.false_positives += !classes.count(d.category_id);
  const double tp = double(s.true_positives);
  s.precision = tp + double(s.false_positives) > 0 ? tp / (tp + double(s.false_positives)) : 0;
  s.recall = tp + double(s.false_negatives) > 0 ? tp / (tp + double(s.false_negatives)) : 0;

  const CountError e = count_error(truth, detections, score_threshold, classes);
  s.count_mae = e.cells > 0 ? e.absolute / e.cells : 0;
  s.count_relative_error = e.truth > 0 ? e.absolute / e.truth : 0;
  return s;
}

std::string per_category_csv(const DetectionScores& s, const std::vector<Category>& categories) {
  std::ostringstream out;
  out.precision(6);
  out << "category,truth,detections,true_positives,false_positives,false_negatives,precision,"
         "recall,ap50,ap50_95\n";
  const auto ratio = [](int64_t a, int64_t b) { return b > 0 ? double(a) / double(b) : 0.0; };
  for (const Category& c : categories) {
    const auto it = s.classes.find(c.id);
    if (it == s.classes.end()) continue;
    const ClassScores& k = it->second;
    out << formats::csv_field(c.name) << ',' << k.truth << ',' << k.detections << ','
        << k.true_positives << ',' << k.false_positives << ',' << k.false_negatives << ','
        << ratio(k.true_positives, k.detections) << ',' << ratio(k.true_positives, k.truth) << ','
        << k.ap50 << ',' << k.ap50_95 << '\n';
  }
  return out.str();
}

nlohmann::json scores_json(const DetectionScores& s, const std::vector<Category>& categories,
                           double score_threshold) {
  nlohmann::json ap = nlohmann::json::object();
  for (const Category& c : categories)
    if (s.ap50.count(c.id)) ap[c.name] = s.ap50.at(c.id);
  return {{"map50", s.map50},
          {"map50_95", s.map50_95},
          {"ap50_per_category", ap},
          {"score_threshold", score_threshold},
          {"precision", s.precision},
          {"recall", s.recall},
          {"true_positives", s.true_positives},
          {"false_positives", s.false_positives},
          {"false_negatives", s.false_negatives},
          {"count_mae", s.count_mae},
          {"count_relative_error", s.count_relative_error}};
}

}  // namespace tessera::ecology
