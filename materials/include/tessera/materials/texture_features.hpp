#pragma once
// Image-level texture descriptors, the classical baseline for predicting a micrograph's
// properties or processing conditions: intensity statistics, grey-level co-occurrence (Haralick)
// properties, a uniform local-binary-pattern histogram, and the means and spreads of the pixel
// filter bank (pixel_features.hpp). A regressor or classifier (random_forest.hpp) on them is
// what a network's property predictions are compared with.
//
//   std::vector<float> x = texture_features(micrograph.pixels);   // texture_feature_names()
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace tessera::materials {

// levels [H, W] CV_8U, each below `levels_count` -> [levels_count, levels_count] CV_64F: the
// share of pixel pairs (a at (y, x), b at (y + dy, x + dx), both inside) whose levels are
// (i, j), each pair counted both ways round, so the matrix is symmetric and sums to 1. Throws
// std::invalid_argument for another type, a level at or beyond levels_count, or no pair.
cv::Mat glcm(const cv::Mat& levels, int levels_count, int dy, int dx);

// Haralick's properties of a normalised co-occurrence matrix P, as scikit-image defines them.
struct GlcmProperties {
  double contrast = 0;     // sum P(i,j) (i - j)^2
  double homogeneity = 0;  // sum P(i,j) / (1 + (i - j)^2)
  double energy = 0;       // sqrt(sum P(i,j)^2)
  double correlation = 0;  // sum P(i,j) (i - mi)(j - mj) / (si sj); 1 when a level is constant
};
GlcmProperties glcm_properties(const cv::Mat& p);

// pixels [H, W] CV_32F -> [H, W] CV_8U levels 0 .. levels_count - 1, the range between the
// image's 1st and 99th percentiles split evenly (so texture is judged apart from brightness and
// contrast, which the intensity statistics carry); values beyond it take the end levels.
cv::Mat quantised_levels(const cv::Mat& pixels, int levels_count);

// pixels [H, W] CV_32F -> [H - 2, W - 2] CV_8U: the rotation-invariant uniform local binary
// pattern (Ojala et al. 2002; P = 8, R = 1 on the 3 x 3 square) of each inner pixel: the number
// of its 8 neighbours at or above it (0..8) when, going round, they change between below and
// at-or-above at most twice; 9 otherwise.
cv::Mat lbp_codes(const cv::Mat& pixels);
// The shares of the 10 codes over the inner pixels (sum 1).
std::vector<float> lbp_histogram(const cv::Mat& pixels);

// One name per entry of texture_features: "mean", "sd", "skewness", "kurtosis" (excess),
// "p05" .. "p95"; "glcm_<property>_d<distance>" for distances 1, 2, 4, 8 (32 levels, averaged
// over 0, 45, 90 and 135 degrees); "lbp_0" .. "lbp_8", "lbp_other"; and "<pixel feature>_mean",
// "<pixel feature>_sd" over the image downsampled by 2.
const std::vector<std::string>& texture_feature_names();

// pixels [H, W] CV_32F, at least 20 x 20 -> texture_feature_names().size() values. Throws
// std::invalid_argument for another type or a smaller image.
std::vector<float> texture_features(const cv::Mat& pixels);

}  // namespace tessera::materials
