// Phase-map and property scores against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "error_of.hpp"
#include "tessera/materials/property_scores.hpp"
#include "tessera/materials/segmentation_scores.hpp"

namespace tessera::materials {
namespace {

using tessera::testing::error_of;

cv::Mat labels(int rows, int cols, std::initializer_list<int> values) {
  cv::Mat m(rows, cols, CV_8UC1);
  auto it = values.begin();
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) m.at<uint8_t>(y, x) = uint8_t(*it++);
  return m;
}

TEST(SegmentationScores, ByHand) {
  // Truth: six pixels of 0, two of 1. Prediction: one 0 called 1, one 1 called 0; class 2 in
  // neither.
  const cv::Mat truth = labels(2, 4, {0, 0, 0, 0, 0, 0, 1, 1});
  const cv::Mat predicted = labels(2, 4, {0, 0, 0, 0, 0, 1, 0, 1});
  ConfusionMatrix m(3);
  m.add(predicted, truth);
  EXPECT_EQ(m.at(0, 0), 5);
  EXPECT_EQ(m.at(0, 1), 1);
  EXPECT_EQ(m.at(1, 0), 1);
  EXPECT_EQ(m.total(), 8);
  const SegmentationScores s = segmentation_scores(m);
  EXPECT_DOUBLE_EQ(s.iou[0], 5.0 / 7);  // 5 both, 6 true + 6 predicted - 5
  EXPECT_DOUBLE_EQ(s.iou[1], 1.0 / 3);  // 1 both, 2 + 2 - 1
  EXPECT_TRUE(std::isnan(s.iou[2]));
  EXPECT_DOUBLE_EQ(s.mean_iou, (5.0 / 7 + 1.0 / 3) / 2);
  EXPECT_DOUBLE_EQ(s.pixel_accuracy, 6.0 / 8);
  EXPECT_DOUBLE_EQ(s.fraction_truth[1], 0.25);
  EXPECT_DOUBLE_EQ(s.fraction_predicted[1], 0.25);
  EXPECT_DOUBLE_EQ(s.fraction_error, 0);
  // A label ignored in the truth leaves its pixels out.
  ConfusionMatrix ignoring(3);
  ignoring.add(predicted, truth, 1);
  EXPECT_EQ(ignoring.total(), 6);
  // Matrices add up count by count.
  ConfusionMatrix both(3);
  both.add(m);
  both.add(ignoring);
  EXPECT_EQ(both.at(0, 0), 10);
  EXPECT_EQ(both.at(1, 0), 1);
  EXPECT_EQ(both.total(), 14);
  EXPECT_THROW(both.add(ConfusionMatrix(2)), std::invalid_argument);
}

TEST(SegmentationScores, FractionErrorByHand) {
  ConfusionMatrix m(2);
  m.add(labels(1, 4, {1, 1, 1, 0}), labels(1, 4, {0, 0, 1, 1}));
  // True fractions 0.5 / 0.5, predicted 0.25 / 0.75: mean |error| 0.25.
  EXPECT_DOUBLE_EQ(segmentation_scores(m).fraction_error, 0.25);
}

TEST(SegmentationScores, MismatchedMasksAreRefused) {
  ConfusionMatrix m(2);
  EXPECT_HAS(error_of([&] { m.add(cv::Mat::zeros(2, 3, CV_8UC1), cv::Mat::zeros(3, 2, CV_8UC1)); }),
             "a prediction of 3x2 for a truth of 2x3");
  EXPECT_HAS(error_of([&] {
               m.add(labels(1, 2, {0, 2}), labels(1, 2, {0, 0}));
             }),
             "label 2 at (1, 0) with 2 classes");
  EXPECT_HAS(
      error_of([&] { m.add(cv::Mat::zeros(2, 2, CV_16UC1), cv::Mat::zeros(2, 2, CV_8UC1)); }),
      "8-bit");
  EXPECT_THROW(ConfusionMatrix(0), std::invalid_argument);
}

TEST(PropertyScores, RegressionByHand) {
  // Truth 1, 2, 3 (mean 2, spread 2); prediction 1, 2, 4: residual 1, R2 = 1 - 1/2.
  EXPECT_DOUBLE_EQ(r_squared({1, 2, 4}, {1, 2, 3}), 0.5);
  EXPECT_DOUBLE_EQ(mean_absolute_error({1, 2, 4}, {1, 2, 3}), 1.0 / 3);
  EXPECT_TRUE(std::isnan(r_squared({1, 2}, {5, 5})));
  EXPECT_HAS(error_of([] { r_squared({1}, {1, 2}); }), "1 predictions for 2 truths");
}

TEST(PropertyScores, RocAucByHand) {
  // Positives score 0.9 and 0.4, negatives 0.5 and 0.1: of the four pairs, three ranked right.
  EXPECT_DOUBLE_EQ(roc_auc({0.9, 0.4, 0.5, 0.1}, {true, true, false, false}), 0.75);
  // A tie between a positive and a negative counts half.
  EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.5}, {true, false}), 0.5);
  EXPECT_DOUBLE_EQ(roc_auc({0.2, 0.8, 0.8}, {false, true, false}), 0.75);
  EXPECT_TRUE(std::isnan(roc_auc({0.1, 0.2}, {true, true})));
}

TEST(PropertyScores, MacroF1ByHand) {
  // Class 0: TP 1, FP 1, FN 1 -> F1 0.5; class 1: TP 1, FP 1, FN 0 -> 2/3; class 2: TP 0, FN 1
  // -> 0; class 3 absent from both is left out.
  const std::vector<int> truth = {0, 0, 1, 2}, predicted = {0, 1, 1, 0};
  EXPECT_DOUBLE_EQ(macro_f1(predicted, truth, 4), (0.5 + 2.0 / 3 + 0) / 3);
}

}  // namespace
}  // namespace tessera::materials
