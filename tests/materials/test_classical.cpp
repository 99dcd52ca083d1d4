// The classical baselines: Otsu and k-means maps on images of known levels, clusters named after
// phases by hand, the co-occurrence matrix and local binary patterns by hand, the filter bank on
// a ramp, random forests that learn and read back the same, and the pixel forest on synthetic
// micrographs trained on tile tags, scored against their truth.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/data/micrograph.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/materials/classical_segmentation.hpp"
#include "tessera/materials/pixel_features.hpp"
#include "tessera/materials/random_forest.hpp"
#include "tessera/materials/segmentation_scores.hpp"
#include "tessera/materials/texture_features.hpp"

namespace tessera::materials {
namespace {

using tessera::testing::error_of;
using tessera::testing::TempDirTest;

cv::Mat levels(int rows, int cols, std::initializer_list<int> values) {
  cv::Mat m(rows, cols, CV_8UC1);
  auto it = values.begin();
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) m.at<uint8_t>(y, x) = uint8_t(*it++);
  return m;
}

cv::Mat pixels(int rows, int cols, std::initializer_list<float> values) {
  cv::Mat m(rows, cols, CV_32FC1);
  std::copy(values.begin(), values.end(), m.ptr<float>());
  return m;
}

// Each pixel of `truth` (CV_8U) given `level[truth]`, plus Gaussian noise of sd `noise`.
cv::Mat noisy(const cv::Mat& truth, std::vector<float> level, float noise, uint64_t seed) {
  cv::Mat out(truth.size(), CV_32F), n(truth.size(), CV_32F);
  for (int y = 0; y < truth.rows; ++y)
    for (int x = 0; x < truth.cols; ++x) out.at<float>(y, x) = level[truth.at<uint8_t>(y, x)];
  cv::RNG rng(seed);
  rng.fill(n, cv::RNG::NORMAL, 0, noise);
  return out + n;
}

TEST(OtsuPhaseMap, SplitsANoisyTwoLevelImageExactly) {
  // Bright bands across the whole height: straight edges, so the light smoothing moves no pixel
  // across the threshold (a corner pixel of a bright square would fall below it).
  cv::Mat truth(48, 64, CV_8U, cv::Scalar(0));
  truth.colRange(10, 25).setTo(1);
  truth.colRange(40, 44).setTo(1);
  const cv::Mat map = otsu_phase_map(noisy(truth, {0.3f, 0.7f}, 0.05f, 1));
  ASSERT_EQ(map.type(), CV_8UC1);
  EXPECT_EQ(cv::countNonZero(map != truth), 0);
}

TEST(KMeansPhaseMap, NumbersClustersByBrightnessAndRepeatsWithItsSeed) {
  // Three bands, the brightest first, so k-means' own numbering is unlikely to be by brightness.
  cv::Mat truth(40, 60, CV_8U, cv::Scalar(0));
  truth.colRange(0, 20).setTo(2);
  truth.colRange(40, 60).setTo(1);
  const cv::Mat image = noisy(truth, {0.2f, 0.5f, 0.8f}, 0.03f, 2);
  const cv::Mat map = kmeans_phase_map(image, 3, 7);
  double previous = -1;
  for (int c = 0; c < 3; ++c) {
    const double mean = cv::mean(image, map == c)[0];
    EXPECT_GT(mean, previous) << c;
    previous = mean;
    // Each band is (almost) one cluster: the blur at the edges may move a column.
    EXPECT_GT(cv::countNonZero((map == c) & (truth == c)), 0.9 * cv::countNonZero(truth == c));
  }
  EXPECT_EQ(cv::countNonZero(map != kmeans_phase_map(image, 3, 7)), 0);
}

TEST(ClustersToPhases, EachClusterToItsPhaseOfHighestLift) {
  // Phases matrix, network, spheroidite; four clusters, the last in no region.
  const std::vector<cv::Mat> maps = {
      cv::Mat(4, 4, CV_8U, cv::Scalar(0)),                             // {matrix}
      cv::Mat(4, 4, CV_8U, cv::Scalar(1)),                             // {matrix}
      cv::Mat(4, 4, CV_8U, cv::Scalar(2)),                             // {spheroidite}
      levels(2, 8, {0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1}),  // {matrix, network}
      levels(4, 4, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0}),  // {network}
  };
  const std::vector<std::vector<bool>> tags = {
      {1, 0, 0}, {1, 0, 0}, {0, 0, 1}, {1, 1, 0}, {0, 1, 0}};
  // 80 pixels; tagged matrix 48, network 32, spheroidite 16.
  // Cluster 0: 28 pixels, 24 in matrix regions: lift (24/28)/(48/80) = 1.43; network
  // (12/28)/(32/80) = 1.07. Cluster 1: 36 pixels, 24 in matrix regions (1.11) but 20 in network
  // ones (20/36)/(32/80) = 1.39: the matrix holds more of it, the network more than its share.
  // Cluster 2: spheroidite alone. Cluster 3: nowhere, so the commonest tag, matrix.
  EXPECT_EQ(clusters_to_phases(maps, tags, 4, 3), (std::vector<int>{0, 1, 2, 0}));
  EXPECT_THROW(clusters_to_phases(maps, tags, 2, 3), std::invalid_argument);  // cluster 2 >= k
}

TEST(Glcm, SymmetricSharesOfPairsByHand) {
  const cv::Mat image = levels(3, 4,
                               {0, 0, 1, 1,  //
                                0, 1, 2, 2,  //
                                2, 2, 1, 0});
  auto expect = [](const cv::Mat& p, std::vector<double> counts, double pairs) {
    ASSERT_EQ(p.size(), cv::Size(3, 3));
    for (int i = 0; i < 9; ++i)
      EXPECT_NEAR(p.at<double>(i / 3, i % 3), counts[size_t(i)] / pairs, 1e-12) << i;
  };
  // Horizontal: 9 pairs, each counted both ways.
  expect(glcm(image, 3, 0, 1), {2, 3, 0, 3, 2, 2, 0, 2, 4}, 18);
  // Vertical: 8 pairs.
  expect(glcm(image, 3, 1, 0), {2, 1, 2, 1, 0, 4, 2, 4, 0}, 16);
  // Up and right (45 degrees): 6 pairs.
  expect(glcm(image, 3, -1, 1), {2, 0, 0, 0, 2, 3, 0, 3, 2}, 12);
  // Properties of the horizontal matrix: marginal (5, 7, 6)/18, mean 19/18, variance 197/324,
  // covariance 26/18 - (19/18)^2 = 107/324.
  const GlcmProperties g = glcm_properties(glcm(image, 3, 0, 1));
  EXPECT_NEAR(g.contrast, 10.0 / 18, 1e-12);
  EXPECT_NEAR(g.homogeneity, 8.0 / 18 + 10.0 / 18 / 2, 1e-12);
  EXPECT_NEAR(g.energy, std::sqrt(50.0 / 324), 1e-12);
  EXPECT_NEAR(g.correlation, 107.0 / 197, 1e-12);
  EXPECT_THROW(glcm(image, 2, 0, 1), std::invalid_argument);  // level 2 of 2
  EXPECT_THROW(glcm(image, 3, 3, 0), std::invalid_argument);  // no pair 3 rows apart
}

TEST(LocalBinaryPatterns, UniformCodesByHand) {
  // Going round from the right: 1 0 0 0 0 1 1 1, two changes, four at or above: code 4.
  EXPECT_EQ(
      lbp_codes(pixels(3, 3, {.9f, .9f, .9f, .1f, .5f, .9f, .1f, .1f, .1f})).at<uint8_t>(0, 0), 4);
  // 1 0 1 0 0 0 1 1 (the 0.5 below equals the centre: at or above): four changes, code 9.
  EXPECT_EQ(
      lbp_codes(pixels(3, 3, {.1f, .9f, .9f, .1f, .5f, .9f, .1f, .5f, .1f})).at<uint8_t>(0, 0), 9);
  // A flat image: every neighbour equals the centre.
  const std::vector<float> h = lbp_histogram(cv::Mat(4, 5, CV_32F, cv::Scalar(0.3)));
  ASSERT_EQ(h.size(), 10u);
  EXPECT_FLOAT_EQ(h[8], 1);
  EXPECT_FLOAT_EQ(std::accumulate(h.begin(), h.end(), 0.f), 1);
}

TEST(PixelFeatures, OnARampTheSlopeAndNoCurvature) {
  // I = 0.01 x: gradient 0.01, Laplacian and Hessian 0, a Gaussian window's sd 0.01 sigma.
  cv::Mat ramp(64, 64, CV_32F);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) ramp.at<float>(y, x) = 0.01f * float(x);
  const cv::Mat f = pixel_features(ramp);
  const std::vector<std::string>& names = pixel_feature_names();
  ASSERT_EQ(f.rows, 64 * 64);
  ASSERT_EQ(f.cols, int(names.size()));
  ASSERT_EQ(names.size(), 1u + 4u * 7u);
  auto at = [&](const std::string& name) {
    const int c = int(std::find(names.begin(), names.end(), name) - names.begin());
    return double(f.at<float>(32 * 64 + 32, c));
  };
  EXPECT_FLOAT_EQ(at("intensity"), 0.32f);
  for (const char* s : {"1", "2"}) {
    EXPECT_NEAR(at(std::string("gaussian_s") + s), 0.32, 1e-5) << s;
    EXPECT_NEAR(at(std::string("gradient_s") + s), 0.01, 1e-5) << s;
    EXPECT_NEAR(at(std::string("log_s") + s), 0, 1e-5) << s;
    EXPECT_NEAR(at(std::string("dog_s") + s), 0, 1e-5) << s;
    EXPECT_NEAR(at(std::string("hessian_max_s") + s), 0, 1e-5) << s;
    EXPECT_NEAR(at(std::string("hessian_min_s") + s), 0, 1e-5) << s;
  }
  EXPECT_NEAR(at("sd_s1"), 0.01, 0.0005);
  EXPECT_NEAR(at("sd_s2"), 0.02, 0.001);
  EXPECT_THROW(pixel_features(cv::Mat(4, 4, CV_8U)), std::invalid_argument);
}

TEST(TextureFeatures, OneNamedValueEachAndStatisticsThatAgreeWithOpenCv) {
  const cv::Mat image = noisy(cv::Mat(40, 48, CV_8U, cv::Scalar(0)), {0.5f}, 0.1f, 3);
  const std::vector<float> t = texture_features(image);
  const std::vector<std::string>& names = texture_feature_names();
  ASSERT_EQ(t.size(), names.size());
  for (size_t i = 0; i < t.size(); ++i) EXPECT_TRUE(std::isfinite(t[i])) << names[i];
  cv::Scalar mean, sd;
  cv::meanStdDev(image, mean, sd);
  EXPECT_NEAR(t[0], mean[0], 1e-5);
  EXPECT_NEAR(t[1], sd[0], 1e-5);
  EXPECT_NEAR(t[2], 0, 0.2);  // Gaussian noise: no skew, no excess kurtosis
  EXPECT_NEAR(t[3], 0, 0.3);
  const auto lbp = std::find(names.begin(), names.end(), "lbp_0") - names.begin();
  EXPECT_NEAR(std::accumulate(t.begin() + lbp, t.begin() + lbp + 10, 0.f), 1, 1e-5);
  // White noise has no correlation between neighbours; a smooth image a strong one.
  const auto correlation = std::find(names.begin(), names.end(), "glcm_correlation_d1");
  ASSERT_NE(correlation, names.end());
  const size_t c = size_t(correlation - names.begin());
  cv::Mat smooth;
  cv::GaussianBlur(image, smooth, cv::Size(), 3);
  EXPECT_LT(t[c], 0.2);
  EXPECT_GT(texture_features(smooth)[c], 0.8);
}

// Two blobs in 5 dimensions (2 informative), labels 3 and 7.
void blobs(int n, uint64_t seed, cv::Mat& x, std::vector<int>& y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  x.create(n, 5, CV_32F);
  y.resize(size_t(n));
  for (int i = 0; i < n; ++i) {
    y[size_t(i)] = i % 2 ? 7 : 3;
    for (int j = 0; j < 5; ++j) x.at<float>(i, j) = g(rng) + (j < 2 && i % 2 ? 4.f : 0.f);
  }
}

TEST(RandomForest, ClassifiesHeldOutSamplesAndReadsBackTheSame) {
  cv::Mat train, test;
  std::vector<int> train_y, test_y;
  blobs(400, 1, train, train_y);
  blobs(200, 2, test, test_y);
  const ForestOptions o{.trees = 31, .max_depth = 8, .seed = 5};
  const RandomForest f = RandomForest::train_classifier(train, train_y, o);
  EXPECT_EQ(f.classes(), (std::vector<int>{3, 7}));
  EXPECT_EQ(f.tree_count(), 31);
  const std::vector<int> predicted = f.predict_classes(test);
  int right = 0;
  for (size_t i = 0; i < predicted.size(); ++i) right += predicted[i] == test_y[i];
  EXPECT_GT(right, 0.95 * 200);
  // Votes: shares summing to 1, the majority the predicted class (31 trees: no ties).
  const cv::Mat votes = f.vote_fractions(test);
  ASSERT_EQ(votes.size(), cv::Size(2, 200));
  for (int i = 0; i < 200; ++i) {
    EXPECT_NEAR(votes.at<float>(i, 0) + votes.at<float>(i, 1), 1, 1e-6);
    EXPECT_EQ(votes.at<float>(i, 1) > 0.5f ? 7 : 3, predicted[size_t(i)]) << i;
  }
  const RandomForest again = RandomForest::from_text(f.to_text());
  EXPECT_EQ(again.predict_classes(test), predicted);
  EXPECT_EQ(cv::countNonZero(again.vote_fractions(test) != votes), 0);
  // The seed decides the forest.
  EXPECT_EQ(RandomForest::train_classifier(train, train_y, o).to_text(), f.to_text());
  EXPECT_THROW(RandomForest::train_classifier(train, std::vector<int>(400, 1)),
               std::invalid_argument);
  EXPECT_HAS(error_of([] { RandomForest::from_text("%YAML:1.0\n---\na: 1\n"); }),
             "no random forest");
  EXPECT_HAS(error_of([] { RandomForest::from_text("{{"); }), "random forest text");
}

TEST(RandomForest, RegressionExplainsMostOfTheVariance) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<float> u(-2, 2);
  auto make = [&](int n, cv::Mat& x, std::vector<float>& y) {
    x.create(n, 3, CV_32F);
    y.resize(size_t(n));
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < 3; ++j) x.at<float>(i, j) = u(rng);
      y[size_t(i)] = 2 * std::sin(x.at<float>(i, 0)) + x.at<float>(i, 1) * x.at<float>(i, 1);
    }
  };
  cv::Mat train, test;
  std::vector<float> train_y, test_y;
  make(1000, train, train_y);
  make(200, test, test_y);
  const RandomForest f = RandomForest::train_regressor(train, train_y, {.trees = 40, .seed = 1});
  EXPECT_FALSE(f.is_classifier());
  const std::vector<float> predicted = f.predict_values(test);
  const double mean = std::accumulate(test_y.begin(), test_y.end(), 0.0) / 200;
  double residual = 0, spread = 0;
  for (size_t i = 0; i < 200; ++i) {
    residual += std::pow(predicted[i] - test_y[i], 2);
    spread += std::pow(test_y[i] - mean, 2);
  }
  EXPECT_GT(1 - residual / spread, 0.9);
  EXPECT_EQ(RandomForest::from_text(f.to_text()).predict_values(test), predicted);
}

// Synthetic micrographs cut into tiles tagged with the phases covering more than 2% of each, as
// the UHCS-style tag tables are.
struct TaggedSet {
  std::vector<TaggedRegion> tiles;
  std::vector<data::SyntheticMicrograph> images;
};

const std::vector<std::string> kPhases = {"matrix", "network", "spheroidite", "widmanstatten"};

cv::Mat as_float(const cv::Mat& image) {
  cv::Mat out;
  image.convertTo(out, CV_32F, 1.0 / 255);
  return out;
}

TaggedSet tagged_tiles(int images, uint64_t seed, int tile = 32) {
  TaggedSet set;
  for (int i = 0; i < images; ++i) {
    set.images.push_back(data::make_micrograph(
        {.width = 160, .height = 128, .grains = 5, .seed = seed + uint64_t(i)}));
    const data::SyntheticMicrograph& m = set.images.back();
    for (int y = 0; y + tile <= m.image.rows; y += tile)
      for (int x = 0; x + tile <= m.image.cols; x += tile) {
        const cv::Rect r(x, y, tile, tile);
        std::vector<bool> present;
        for (int p = 0; p < data::kPhases; ++p)
          present.push_back(cv::countNonZero(m.labels(r) == p) > 0.02 * r.area());
        set.tiles.push_back({as_float(m.image(r)), present, "tile"});
      }
  }
  return set;
}

// The mean IoU of a segmenter's maps of `test` against their truth.
template <typename Map>
double mean_iou(const TaggedSet& test, Map map) {
  ConfusionMatrix m(data::kPhases);
  for (const data::SyntheticMicrograph& s : test.images) m.add(map(as_float(s.image)), s.labels);
  return segmentation_scores(m).mean_iou;
}

TEST(PixelForest, TrainedOnTileTagsMapsHeldOutMicrographsWellAboveChance) {
  const TaggedSet train = tagged_tiles(4, 10), test = tagged_tiles(2, 20);
  const PixelForest f = train_pixel_forest(
      train.tiles, kPhases,
      {.pixels_per_phase = 1000, .forest = {.trees = 16, .max_depth = 10, .seed = 1}});
  EXPECT_EQ(f.phases, kPhases);
  const double forest = mean_iou(test, [&](const cv::Mat& p) { return pixel_forest_map(f, p); });
  // Chance: the best map of one phase everywhere (its IoU that phase's share, 0 for the others).
  double chance = 0;
  for (int phase = 0; phase < data::kPhases; ++phase)
    chance = std::max(chance, mean_iou(test, [&](const cv::Mat& p) {
                        return cv::Mat(p.size(), CV_8U, cv::Scalar(phase));
                      }));
  RecordProperty("mean_iou", std::to_string(forest));
  RecordProperty("chance", std::to_string(chance));
  EXPECT_GT(forest, 0.3);
  EXPECT_GT(forest, 2 * chance);
}

class ClassicalSegmenterFile : public TempDirTest {};

TEST_F(ClassicalSegmenterFile, EveryMethodReadsBackToTheSameMaps) {
  const TaggedSet train = tagged_tiles(2, 30), test = tagged_tiles(1, 40);
  const cv::Mat image = as_float(test.images[0].image);
  for (const std::string method : {"otsu", "kmeans", "forest"}) {
    ClassicalSegmenter s = train_classical_segmenter(
        train.tiles, kPhases, method,
        {.forest = {.pixels_per_phase = 1000, .forest = {.trees = 15, .max_depth = 10}}});
    s.um_per_px = 0.25;
    const std::string file = path(method + ".yml");
    save_classical_segmenter(file, s);
    const ClassicalSegmenter again = load_classical_segmenter(file);
    EXPECT_EQ(again.method, method);
    EXPECT_EQ(again.phases, kPhases);
    EXPECT_EQ(again.um_per_px, 0.25);
    EXPECT_EQ(again.cluster_phase, s.cluster_phase);
    const cv::Mat map = classical_phase_map(s, image);
    EXPECT_EQ(cv::countNonZero(map != classical_phase_map(again, image)), 0) << method;
    double top = 0;
    cv::minMaxLoc(map, nullptr, &top);
    EXPECT_LT(top, 4) << method;
    RecordProperty(method + "_mean_iou", std::to_string(mean_iou(test, [&](const cv::Mat& p) {
                     return classical_phase_map(s, p);
                   })));
  }
  EXPECT_EQ(files_in_dir(), 3u);  // no temporaries left beside them
}

TEST_F(ClassicalSegmenterFile, OtherFilesAreRefusedInOneLineNamingThem) {
  cv::imwrite(path("image.png"), cv::Mat(8, 8, CV_8U, cv::Scalar(9)));
  std::ofstream(path("other.yml")) << "%YAML:1.0\n---\ntask: materials_phase_segmenter\n";
  std::ofstream(path("broken.yml")) << "%YAML:1.0\n---\ntask: materials_classical_segmenter\n"
                                       "method: otsu\nphases: [a, b]\num_per_px: 0\n";
  for (const char* name : {"image.png", "other.yml", "missing.yml", "broken.yml"}) {
    const std::string e = error_of([&] { load_classical_segmenter(path(name)); });
    EXPECT_HAS(e, name);
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  const TaggedSet train = tagged_tiles(1, 50);
  EXPECT_EQ(tessera::testing::setting_of(
                [&] { train_classical_segmenter(train.tiles, kPhases, "watershed"); }),
            "method");
}

}  // namespace
}  // namespace tessera::materials
