#pragma once
// How well a phase map matches its truth: the confusion of labels over pixels, and from it the
// per-class intersection over union, its mean, the pixel accuracy and the phase fractions.
//
//   ConfusionMatrix m(4);
//   m.add(predicted, truth);            // CV_8U label images of one size, as many as there are
//   SegmentationScores s = segmentation_scores(m);
//   s.mean_iou;                         // over the classes present in truth or prediction
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace tessera::materials {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int classes);
  // Adds every pixel of two CV_8U label images of the same size; `ignore` (a label value, -1:
  // none) in the truth is left out. Throws std::invalid_argument for another type or size, or a
  // label at or beyond the class count.
  void add(const cv::Mat& predicted, const cv::Mat& truth, int ignore = -1);
  // Adds another matrix's counts; throws std::invalid_argument when its class count differs.
  void add(const ConfusionMatrix& other);

  int classes() const { return classes_; }
  // Pixels of true class t labelled p.
  int64_t at(int truth, int predicted) const {
    return counts_[size_t(truth) * size_t(classes_) + size_t(predicted)];
  }
  int64_t total() const;

 private:
  int classes_;
  std::vector<int64_t> counts_;
};

struct SegmentationScores {
  std::vector<double> iou;  // per class; NaN where the class is in neither truth nor prediction
  double mean_iou = 0;      // mean of the classes that are not NaN
  double pixel_accuracy = 0;
  std::vector<double> fraction_truth, fraction_predicted;  // share of the pixels, per class
  double fraction_error = 0;  // mean over classes of |predicted - true fraction|
};

SegmentationScores segmentation_scores(const ConfusionMatrix& m);

}  // namespace tessera::materials
