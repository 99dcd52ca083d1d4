#pragma once
// A random forest (OpenCV's cv::ml::RTrees) as a value: trained once for classification (int
// labels) or regression (float targets), then only asked. Copies share the trained trees, which
// nothing changes after training. The forest writes itself into a cv::FileStorage node or a YAML
// text, so a model file can carry it beside its own settings.
//
//   RandomForest f = RandomForest::train_classifier(samples, labels, {.trees = 50, .seed = 1});
//   std::vector<int> predicted = f.predict_classes(samples);   // samples: CV_32F, a row each
//   RandomForest again = RandomForest::from_text(f.to_text());
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>

namespace tessera::materials {

struct ForestOptions {
  int trees = 100;
  int max_depth = 16;
  int min_samples = 5;  // a node with fewer samples is not split
  uint64_t seed = 0;    // the same samples and seed give the same forest
};

class RandomForest {
 public:
  RandomForest() = default;  // empty: trained() is false and asking it throws

  // samples [n, features] CV_32F, labels [n] -> a classifier over the distinct labels. Throws
  // std::invalid_argument for no samples, a label count other than n, fewer than two distinct
  // labels, or options out of range.
  static RandomForest train_classifier(const cv::Mat& samples, const std::vector<int>& labels,
                                       const ForestOptions& o = {});
  // samples [n, features] CV_32F, targets [n] -> a regressor (the mean of the trees). Throws as
  // train_classifier does (but one distinct target is allowed).
  static RandomForest train_regressor(const cv::Mat& samples, const std::vector<float>& targets,
                                      const ForestOptions& o = {});

  bool trained() const { return trees_ != nullptr; }
  bool is_classifier() const { return classifier_; }
  int features() const { return features_; }
  int tree_count() const;
  const std::vector<int>& classes() const { return classes_; }  // ascending; empty: regressor

  // samples [n, features()] CV_32F -> the majority class of each row (classifiers only).
  std::vector<int> predict_classes(const cv::Mat& samples) const;
  // samples [n, features()] CV_32F -> the mean of the trees for each row (regressors only).
  std::vector<float> predict_values(const cv::Mat& samples) const;
  // samples [n, features()] -> [n, classes().size()] CV_32F, the share of trees voting for each
  // class (classifiers only; rows sum to 1).
  cv::Mat vote_fractions(const cv::Mat& samples) const;

  // The forest as a node `name` of an open storage, and back; read throws std::runtime_error
  // "<what>: ..." for a node that is not a forest.
  void write(cv::FileStorage& fs, const std::string& name) const;
  static RandomForest read(const cv::FileNode& node, const std::string& what);
  // The forest as YAML text, and back (from_text throws as read does).
  std::string to_text() const;
  static RandomForest from_text(const std::string& text);

 private:
  std::shared_ptr<const cv::ml::RTrees> trees_;
  bool classifier_ = false;
  int features_ = 0;
  std::vector<int> classes_{};
};

}  // namespace tessera::materials
