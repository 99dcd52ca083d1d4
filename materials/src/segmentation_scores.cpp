#include "tessera/materials/segmentation_scores.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tessera::materials {

ConfusionMatrix::ConfusionMatrix(int classes)
    : classes_(classes), counts_(size_t(std::max(classes, 0)) * size_t(std::max(classes, 0))) {
  if (classes < 1 || classes > 256)
    throw std::invalid_argument("confusion matrix: " + std::to_string(classes) +
                                " classes (1 to 256)");
}

void ConfusionMatrix::add(const cv::Mat& predicted, const cv::Mat& truth, int ignore) {
  if (predicted.type() != CV_8UC1 || truth.type() != CV_8UC1)
    throw std::invalid_argument("confusion matrix: label images must be 8-bit, one channel");
  if (predicted.size() != truth.size())
    throw std::invalid_argument("confusion matrix: a prediction of " +
                                std::to_string(predicted.cols) + "x" +
                                std::to_string(predicted.rows) + " for a truth of " +
                                std::to_string(truth.cols) + "x" + std::to_string(truth.rows));
  for (int y = 0; y < truth.rows; ++y) {
    const uint8_t* t = truth.ptr<uint8_t>(y);
    const uint8_t* p = predicted.ptr<uint8_t>(y);
    for (int x = 0; x < truth.cols; ++x) {
      if (t[x] == ignore) continue;
      if (t[x] >= classes_ || p[x] >= classes_)
        throw std::invalid_argument("confusion matrix: label " +
                                    std::to_string(std::max(t[x], p[x])) + " at (" +
                                    std::to_string(x) + ", " + std::to_string(y) + ") with " +
                                    std::to_string(classes_) + " classes");
      ++counts_[size_t(t[x]) * size_t(classes_) + p[x]];
    }
  }
}

void ConfusionMatrix::add(const ConfusionMatrix& other) {
  if (other.classes_ != classes_)
    throw std::invalid_argument("confusion matrix: adding one of " +
                                std::to_string(other.classes_) + " classes to one of " +
                                std::to_string(classes_));
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

int64_t ConfusionMatrix::total() const {
  int64_t n = 0;
  for (int64_t c : counts_) n += c;
  return n;
}

SegmentationScores segmentation_scores(const ConfusionMatrix& m) {
  const int k = m.classes();
  SegmentationScores s;
  const double total = double(m.total());
  int64_t correct = 0;
  double iou_sum = 0, fraction_error = 0;
  int present = 0;
  for (int c = 0; c < k; ++c) {
    int64_t true_c = 0, predicted_c = 0;
    for (int o = 0; o < k; ++o) true_c += m.at(c, o), predicted_c += m.at(o, c);
    const int64_t both = m.at(c, c);
    correct += both;
    const int64_t either = true_c + predicted_c - both;
    s.iou.push_back(either > 0 ? double(both) / double(either) : NAN);
    if (either > 0) iou_sum += s.iou.back(), ++present;
    s.fraction_truth.push_back(total > 0 ? double(true_c) / total : NAN);
    s.fraction_predicted.push_back(total > 0 ? double(predicted_c) / total : NAN);
    fraction_error += std::abs(s.fraction_predicted.back() - s.fraction_truth.back());
  }
  s.mean_iou = present > 0 ? iou_sum / present : NAN;
  s.pixel_accuracy = total > 0 ? double(correct) / total : NAN;
  s.fraction_error = fraction_error / k;
  return s;
}

}  // namespace tessera::materials
