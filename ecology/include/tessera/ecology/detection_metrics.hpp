#pragma once
// Detection and counting scores against ground truth, as the COCO evaluation computes them:
// per class and IoU threshold, detections in decreasing score are matched greedily to the
// unmatched truth box of the same image they overlap most (IoU >= threshold); average precision
// is the area under the precision envelope sampled at 101 recall points; mAP averages over
// classes with truth (and over IoU 0.50:0.05:0.95 for mAP@0.5:0.95).
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/ecology/annotations.hpp"

namespace tessera::ecology {

// Intersection over union of two boxes (0 when either is empty).
double iou(const Box& a, const Box& b);

// Precision and recall after each detection of one class, in decreasing score (the raw curve,
// before the envelope average precision takes).
struct PrCurve {
  std::vector<double> recall, precision;
};
PrCurve precision_recall_curve(const std::vector<Annotation>& truth,
                               const std::vector<Annotation>& detections, double iou_threshold);

// Average precision of one class at one IoU threshold.
double average_precision(const std::vector<Annotation>& truth,
                         const std::vector<Annotation>& detections, double iou_threshold);

// One category's scores; counts of detections at score >= the threshold, matched at IoU 0.5.
struct ClassScores {
  double ap50 = 0, ap50_95 = 0;
  int64_t truth = 0, detections = 0;
  int64_t true_positives = 0, false_positives = 0, false_negatives = 0;
};

struct DetectionScores {
  double map50 = 0, map50_95 = 0;
  std::map<int64_t, double> ap50;          // per category with truth
  std::map<int64_t, ClassScores> classes;  // per category with truth
  // At score >= score_threshold and IoU 0.5, over all classes:
  double precision = 0, recall = 0;
  int64_t true_positives = 0, false_positives = 0, false_negatives = 0;
  // Counts per (image, class): detections at score >= score_threshold against truth.
  double count_mae = 0;             // mean absolute error per image and class
  double count_relative_error = 0;  // sum |detected - true| / sum true
};

// Counting errors over every photo of `truth` and every category of `categories`: the
// detections scoring at least `score_threshold` against the true boxes, per (photo, category).
struct CountError {
  double absolute = 0;  // sum |detected - true|
  double truth = 0;     // sum true
  double cells = 0;     // photos x categories
};
CountError count_error(const Dataset& truth, const std::vector<Annotation>& detections,
                       double score_threshold, const std::set<int64_t>& categories);

// The scores as `tessera ecology evaluate` reports them, AP per category by name.
nlohmann::json scores_json(const DetectionScores& s, const std::vector<Category>& categories,
                           double score_threshold);

// The per-category table: category,truth,detections,true_positives,false_positives,
// false_negatives,precision,recall,ap50,ap50_95 (precision and recall at the threshold).
std::string per_category_csv(const DetectionScores& s, const std::vector<Category>& categories);

DetectionScores score_detections(const Dataset& truth, const std::vector<Annotation>& detections,
                                 double score_threshold = 0.5);

}  // namespace tessera::ecology
