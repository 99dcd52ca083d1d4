// IoU, average precision and counting scores against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "tessera/ecology/detection_metrics.hpp"

namespace tessera::ecology {
namespace {

Annotation at(int64_t image, double x, double y, double w, double h, double score = 1,
              int64_t category = 0) {
  return {image, category, {x, y, w, h}, score};
}

TEST(Iou, HandComputed) {
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {10, 0, 5, 5}), 0.0);  // touching edges
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {2, 2, 4, 4}), 16.0 / 100.0);
}

TEST(AveragePrecision, HitMissHitIs84Percent) {
  const std::vector<Annotation> truth = {at(1, 0, 0, 10, 10), at(1, 50, 50, 10, 10)};
  const std::vector<Annotation> found = {at(1, 1, 0, 10, 10, 0.9), at(1, 100, 100, 10, 10, 0.8),
                                         at(1, 50, 51, 10, 10, 0.7)};
  // Precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1; envelope 1, 2/3, 2/3. Recall points 0..0.50
  // (51 of them) read 1, points 0.51..1 (50) read 2/3.
  EXPECT_NEAR(average_precision(truth, found, 0.5), (51 + 50 * 2.0 / 3) / 101, 1e-12);
  // Without the true second hit, recall stops at 1/2.
  EXPECT_NEAR(average_precision(truth, {found[0], found[1]}, 0.5), 51.0 / 101, 1e-12);
  EXPECT_EQ(average_precision(truth, {}, 0.5), 0);
  EXPECT_TRUE(std::isnan(average_precision({}, found, 0.5)));
}

TEST(AveragePrecision, ADetectionMatchesOneTruthBoxOnlyAndOnlyOnItsImage) {
  const std::vector<Annotation> truth = {at(1, 0, 0, 10, 10)};
  // Two detections of the same insect: the second is a false positive; one on another image too.
  const std::vector<Annotation> found = {at(1, 0, 0, 10, 10, 0.9), at(1, 0, 0, 10, 10, 0.8),
                                         at(2, 0, 0, 10, 10, 0.95)};
  // Order: image 2 (false), hit, false. Precision 0, 1/2, 1/3; recall 0, 1, 1: envelope 1/2.
  EXPECT_NEAR(average_precision(truth, found, 0.5), 0.5, 1e-12);
}

TEST(DetectionScores, MapOverIouThresholdsPrecisionRecallAndCounts) {
  Dataset truth{{{1, "a.jpg", 100, 100}, {2, "b.jpg", 100, 100}},
                {{0, "moth"}},
                {at(1, 0, 0, 10, 10), at(1, 50, 50, 10, 10), at(2, 20, 20, 10, 10)}};
  // IoU 0.72 with the first box: a hit at 0.50..0.70, a miss from 0.75 on.
  const std::vector<Annotation> found = {at(1, 0, 0, 10, 7.2, 0.9), at(1, 50, 50, 10, 10, 0.8),
                                         at(1, 80, 80, 10, 10, 0.6), at(2, 20, 20, 10, 10, 0.3)};
  const DetectionScores s = score_detections(truth, found, 0.5);
  // Up to IoU 0.70, in score order: hit, hit, false, hit. Precision 1, 1, 2/3, 3/4 at recall
  // 1/3, 2/3, 2/3, 1: envelope 1 up to recall 2/3 (points 0..0.66), then 3/4 (34 points).
  const double low = (67 + 34 * 0.75) / 101;
  EXPECT_NEAR(s.map50, low, 1e-12);
  EXPECT_NEAR(s.ap50.at(0), low, 1e-12);
  // From 0.75 on the first detection misses: miss, hit, false, hit. Precision 0, 1/2, 1/3, 1/2
  // at recall 0, 1/3, 1/3, 2/3: envelope 1/2 up to recall 2/3, nothing beyond.
  const double high = (67 * 0.5) / 101;
  EXPECT_NEAR(s.map50_95, (5 * low + 5 * high) / 10, 1e-12);
  // Score >= 0.5 keeps three detections on image 1: two hits, one false; image 2's insect missed.
  EXPECT_EQ(s.true_positives, 2);
  EXPECT_EQ(s.false_positives, 1);
  EXPECT_EQ(s.false_negatives, 1);
  EXPECT_NEAR(s.precision, 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.recall, 2.0 / 3, 1e-12);
  // Counts: image 1 found 3 of 2, image 2 found 0 of 1.
  EXPECT_NEAR(s.count_mae, 1.0, 1e-12);
  EXPECT_NEAR(s.count_relative_error, 2.0 / 3, 1e-12);
}

TEST(DetectionScores, ClassesAreScoredApart) {
  Dataset truth{{{1, "a.jpg", 100, 100}},
                {{0, "moth"}, {1, "fly"}},
                {at(1, 0, 0, 10, 10, 1, 0), at(1, 50, 50, 10, 10, 1, 1)}};
  // The fly is found as a moth: right place, wrong class.
  const DetectionScores s =
      score_detections(truth, {at(1, 0, 0, 10, 10, 0.9, 0), at(1, 50, 50, 10, 10, 0.9, 0)});
  EXPECT_NEAR(s.ap50.at(0), 1.0, 1e-12);
  EXPECT_NEAR(s.ap50.at(1), 0.0, 1e-12);
  EXPECT_NEAR(s.map50, 0.5, 1e-12);
  EXPECT_EQ(s.false_positives, 1);
  EXPECT_EQ(s.false_negatives, 1);
}

}  // namespace
}  // namespace tessera::ecology
