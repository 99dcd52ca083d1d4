#include "tessera/materials/random_forest.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "seeded_rng.hpp"

namespace tessera::materials {

namespace {

constexpr const char* kTextNode = "random_forest";

void check_samples(const cv::Mat& samples, size_t answers) {
  if (samples.empty() || samples.type() != CV_32FC1)
    throw std::invalid_argument("random forest: samples must be a non-empty CV_32F matrix");
  if (size_t(samples.rows) != answers)
    throw std::invalid_argument(std::string("random forest: ")
                                    .append(std::to_string(samples.rows))
                                    .append(" samples but ")
                                    .append(std::to_string(answers))
                                    .append(" labels or targets"));
}

void check_options(const ForestOptions& o) {
  if (o.trees < 1 || o.max_depth < 1 || o.min_samples < 1)
    throw std::invalid_argument(
        "random forest: trees, max_depth and min_samples must each be at least 1");
}

// Trains on samples with the response column `responses` (CV_32S: classes, CV_32F: values).
cv::Ptr<cv::ml::RTrees> grow(const cv::Mat& samples, const cv::Mat& responses, bool classify,
                             const ForestOptions& o) {
  auto trees = cv::ml::RTrees::create();
  trees->setMaxDepth(o.max_depth);
  trees->setMinSampleCount(o.min_samples);
  trees->setRegressionAccuracy(0);
  trees->setMaxCategories(16);
  // A fixed number of trees: with EPS in the criteria OpenCV stops on the out-of-bag error.
  trees->setTermCriteria({cv::TermCriteria::MAX_ITER, o.trees, 0});
  cv::Mat var_type(1, samples.cols + 1, CV_8U, cv::Scalar(cv::ml::VAR_ORDERED));
  var_type.at<uint8_t>(samples.cols) = classify ? cv::ml::VAR_CATEGORICAL : cv::ml::VAR_ORDERED;
  const auto data = cv::ml::TrainData::create(samples, cv::ml::ROW_SAMPLE, responses, cv::noArray(),
                                              cv::noArray(), cv::noArray(), var_type);
  const SeededTheRng seeded(o.seed);
  trees->train(data);
  return trees;
}

}  // namespace

RandomForest RandomForest::train_classifier(const cv::Mat& samples, const std::vector<int>& labels,
                                            const ForestOptions& o) {
  check_samples(samples, labels.size());
  check_options(o);
  const std::set<int> distinct(labels.begin(), labels.end());
  if (distinct.size() < 2)
    throw std::invalid_argument("random forest: a classifier needs at least two distinct labels");
  RandomForest f;
  f.trees_ = grow(samples, cv::Mat(labels, true), true, o);
  f.classifier_ = true;
  f.features_ = samples.cols;
  f.classes_.assign(distinct.begin(), distinct.end());
  return f;
}

RandomForest RandomForest::train_regressor(const cv::Mat& samples,
                                           const std::vector<float>& targets,
                                           const ForestOptions& o) {
  check_samples(samples, targets.size());
  check_options(o);
  RandomForest f;
  f.trees_ = grow(samples, cv::Mat(targets, true), false, o);
  f.features_ = samples.cols;
  return f;
}

int RandomForest::tree_count() const {
  return trees_ ? int(trees_->getRoots().size()) : 0;
}

namespace {

void check_query(const cv::Mat& samples, int features, bool trained) {
  if (!trained) throw std::logic_error("random forest: asked before it was trained");
  if (samples.type() != CV_32FC1 || samples.cols != features)
    throw std::invalid_argument(std::string("random forest: samples must be CV_32F with ")
                                    .append(std::to_string(features))
                                    .append(" features per row"));
}

// The forest's answer for every row, in blocks over the threads (OpenCV predicts one row after
// another; its prediction keeps no state, so blocks may run at once).
cv::Mat predict_rows(const cv::ml::RTrees& trees, const cv::Mat& samples) {
  cv::Mat out(samples.rows, 1, CV_32F);
  const int block = 4096;
  cv::parallel_for_(cv::Range(0, (samples.rows + block - 1) / block), [&](const cv::Range& r) {
    for (int b = r.start; b < r.end; ++b) {
      const cv::Range rows(b * block, std::min(samples.rows, (b + 1) * block));
      cv::Mat part;
      trees.predict(samples.rowRange(rows), part);
      part.convertTo(out.rowRange(rows), CV_32F);
    }
  });
  return out;
}

}  // namespace

std::vector<int> RandomForest::predict_classes(const cv::Mat& samples) const {
  check_query(samples, features_, trained());
  if (!classifier_) throw std::logic_error("random forest: a regressor has no classes");
  std::vector<int> out(size_t(samples.rows));
  if (samples.rows == 0) return out;
  const cv::Mat values = predict_rows(*trees_, samples);
  for (int i = 0; i < samples.rows; ++i) out[size_t(i)] = int(std::lround(values.at<float>(i)));
  return out;
}

std::vector<float> RandomForest::predict_values(const cv::Mat& samples) const {
  check_query(samples, features_, trained());
  if (classifier_) throw std::logic_error("random forest: a classifier predicts classes");
  if (samples.rows == 0) return {};
  const cv::Mat values = predict_rows(*trees_, samples);
  return std::vector<float>(values.begin<float>(), values.end<float>());
}

cv::Mat RandomForest::vote_fractions(const cv::Mat& samples) const {
  check_query(samples, features_, trained());
  if (!classifier_) throw std::logic_error("random forest: a regressor has no votes");
  cv::Mat fractions(samples.rows, int(classes_.size()), CV_32F, cv::Scalar(0));
  if (samples.rows == 0) return fractions;
  // Row 0 of the votes holds the class labels, row 1 + i the votes of sample i.
  cv::Mat votes;
  trees_->getVotes(samples, votes, cv::ml::DTrees::PREDICT_MAX_VOTE);
  for (int c = 0; c < votes.cols; ++c) {
    const auto at = std::lower_bound(classes_.begin(), classes_.end(), votes.at<int>(0, c));
    const int column = int(at - classes_.begin());
    for (int i = 0; i < samples.rows; ++i)
      fractions.at<float>(i, column) = float(votes.at<int>(i + 1, c)) / float(tree_count());
  }
  return fractions;
}

void RandomForest::write(cv::FileStorage& fs, const std::string& name) const {
  if (!trained()) throw std::logic_error("random forest: written before it was trained");
  fs << name << "{";
  fs << "kind" << (classifier_ ? "classifier" : "regressor");
  fs << "features" << features_;
  fs << "classes" << classes_;
  fs << "trees"
     << "{";
  trees_->write(fs);
  fs << "}";
  fs << "}";
}

RandomForest RandomForest::read(const cv::FileNode& node, const std::string& what) {
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(std::string(what).append(": ").append(why));
  };
  if (!node.isMap() || !node["kind"].isString() || !node["trees"].isMap())
    fail("no random forest in it");
  RandomForest f;
  const std::string kind = node["kind"].string();
  if (kind != "classifier" && kind != "regressor") fail("a forest of unknown kind '" + kind + "'");
  f.classifier_ = kind == "classifier";
  f.features_ = int(node["features"]);
  node["classes"] >> f.classes_;
  if (f.features_ < 1) fail("a forest of no features");
  if (f.classifier_ &&
      (f.classes_.size() < 2 || !std::is_sorted(f.classes_.begin(), f.classes_.end())))
    fail("a classifier without its ascending class labels");
  try {
    cv::Ptr<cv::ml::RTrees> trees = cv::ml::RTrees::create();
    trees->read(node["trees"]);
    if (trees->getRoots().empty() || trees->getVarCount() != f.features_) fail("a damaged forest");
    f.trees_ = trees;
  } catch (const cv::Exception&) {
    fail("a damaged forest");
  }
  return f;
}

std::string RandomForest::to_text() const {
  cv::FileStorage fs(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY);
  write(fs, kTextNode);
  return fs.releaseAndGetString();
}

RandomForest RandomForest::from_text(const std::string& text) {
  try {
    cv::FileStorage fs(text, cv::FileStorage::READ | cv::FileStorage::MEMORY);
    return read(fs[kTextNode], "random forest text");
  } catch (const cv::Exception&) {
    throw std::runtime_error("random forest text: not YAML that OpenCV can read");
  }
}

}  // namespace tessera::materials
