#include "tessera/materials/texture_features.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "tessera/materials/pixel_features.hpp"

namespace tessera::materials {

namespace {

constexpr int kLevels = 32;
constexpr std::array<int, 4> kDistances = {1, 2, 4, 8};
constexpr std::array<double, 5> kPercentiles = {5, 25, 50, 75, 95};

void check_image(const cv::Mat& pixels, int min_side, const char* what) {
  if (pixels.type() != CV_32FC1 || pixels.rows < min_side || pixels.cols < min_side)
    throw std::invalid_argument(std::string(what)
                                    .append(": the image must be CV_32F, one channel, at least ")
                                    .append(std::to_string(min_side))
                                    .append(" pixels each way"));
}

// The image's values in ascending order.
std::vector<float> sorted_values(const cv::Mat& pixels) {
  std::vector<float> v;
  v.reserve(pixels.total());
  for (int y = 0; y < pixels.rows; ++y)
    v.insert(v.end(), pixels.ptr<float>(y), pixels.ptr<float>(y) + pixels.cols);
  std::sort(v.begin(), v.end());
  return v;
}

// The q-th percentile (0..100) of sorted values, by linear interpolation between ranks.
double percentile(const std::vector<float>& sorted, double q) {
  const double rank = q / 100 * double(sorted.size() - 1);
  const size_t below = size_t(rank);
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (rank - double(below)) * (sorted[above] - sorted[below]);
}

// Mean, sd, skewness, excess kurtosis and the percentiles.
std::vector<float> intensity_statistics(const cv::Mat& pixels) {
  const std::vector<float> v = sorted_values(pixels);
  double mean = 0;
  for (float x : v) mean += x;
  mean /= double(v.size());
  double m2 = 0, m3 = 0, m4 = 0;
  for (float x : v) {
    const double d = x - mean;
    m2 += d * d, m3 += d * d * d, m4 += d * d * d * d;
  }
  m2 /= double(v.size()), m3 /= double(v.size()), m4 /= double(v.size());
  const bool flat = m2 <= 1e-12;  // a constant image has no shape to its distribution
  std::vector<float> out = {float(mean), float(std::sqrt(m2)),
                            flat ? 0.f : float(m3 / std::pow(m2, 1.5)),
                            flat ? 0.f : float(m4 / (m2 * m2) - 3)};
  for (double q : kPercentiles) out.push_back(float(percentile(v, q)));
  return out;
}

// The GLCM properties at one distance, averaged over 0, 45, 90 and 135 degrees.
GlcmProperties glcm_at(const cv::Mat& levels, int d) {
  const std::array<cv::Point, 4> steps = {cv::Point(d, 0), cv::Point(d, -d), cv::Point(0, d),
                                          cv::Point(d, d)};  // (dx, dy)
  GlcmProperties mean;
  for (const cv::Point& s : steps) {
    const GlcmProperties p = glcm_properties(glcm(levels, kLevels, s.y, s.x));
    mean.contrast += p.contrast / 4, mean.homogeneity += p.homogeneity / 4;
    mean.energy += p.energy / 4, mean.correlation += p.correlation / 4;
  }
  return mean;
}

// Means and sds of the filter bank over the image at half size: the bank's sigmas 1..8 then
// span 2..16 original pixels, at a quarter of the cost.
std::vector<float> filter_bank_statistics(const cv::Mat& pixels) {
  cv::Mat half;
  cv::resize(pixels, half, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
  const cv::Mat f = pixel_features(half);
  cv::Mat mean, mean_square;
  cv::reduce(f, mean, 0, cv::REDUCE_AVG, CV_64F);
  cv::reduce(f.mul(f), mean_square, 0, cv::REDUCE_AVG, CV_64F);
  std::vector<float> out;
  for (int c = 0; c < f.cols; ++c) {
    const double m = mean.at<double>(c);
    out.push_back(float(m));
    out.push_back(float(std::sqrt(std::max(mean_square.at<double>(c) - m * m, 0.0))));
  }
  return out;
}

}  // namespace

cv::Mat glcm(const cv::Mat& levels, int levels_count, int dy, int dx) {
  if (levels.type() != CV_8UC1 || levels_count < 1 || levels_count > 256)
    throw std::invalid_argument("glcm: levels must be CV_8U with 1 to 256 levels");
  cv::Mat counts(levels_count, levels_count, CV_64F, cv::Scalar(0));
  double pairs = 0;
  for (int y = std::max(0, -dy); y < std::min(levels.rows, levels.rows - dy); ++y)
    for (int x = std::max(0, -dx); x < std::min(levels.cols, levels.cols - dx); ++x) {
      const int a = levels.at<uint8_t>(y, x), b = levels.at<uint8_t>(y + dy, x + dx);
      if (a >= levels_count || b >= levels_count)
        throw std::invalid_argument(std::string("glcm: a level of ")
                                        .append(std::to_string(std::max(a, b)))
                                        .append(" in an image of ")
                                        .append(std::to_string(levels_count))
                                        .append(" levels"));
      counts.at<double>(a, b) += 1, counts.at<double>(b, a) += 1;
      pairs += 2;
    }
  if (pairs == 0) throw std::invalid_argument("glcm: the offset leaves no pair inside the image");
  return counts / pairs;
}

GlcmProperties glcm_properties(const cv::Mat& p) {
  GlcmProperties out;
  double mi = 0, mj = 0;
  for (int i = 0; i < p.rows; ++i)
    for (int j = 0; j < p.cols; ++j) {
      const double v = p.at<double>(i, j), d2 = double((i - j) * (i - j));
      out.contrast += v * d2, out.homogeneity += v / (1 + d2), out.energy += v * v;
      mi += v * i, mj += v * j;
    }
  out.energy = std::sqrt(out.energy);
  double vi = 0, vj = 0, cov = 0;
  for (int i = 0; i < p.rows; ++i)
    for (int j = 0; j < p.cols; ++j) {
      const double v = p.at<double>(i, j);
      vi += v * (i - mi) * (i - mi), vj += v * (j - mj) * (j - mj), cov += v * (i - mi) * (j - mj);
    }
  out.correlation = vi < 1e-15 || vj < 1e-15 ? 1.0 : cov / std::sqrt(vi * vj);
  return out;
}

cv::Mat quantised_levels(const cv::Mat& pixels, int levels_count) {
  check_image(pixels, 1, "quantised levels");
  const std::vector<float> v = sorted_values(pixels);
  const double lo = percentile(v, 1), hi = percentile(v, 99);
  const double scale = hi > lo ? levels_count / (hi - lo) : 0;
  cv::Mat out(pixels.size(), CV_8U);
  for (int y = 0; y < pixels.rows; ++y)
    for (int x = 0; x < pixels.cols; ++x) {
      const double level = std::floor((pixels.at<float>(y, x) - lo) * scale);
      out.at<uint8_t>(y, x) = uint8_t(std::clamp(level, 0.0, double(levels_count - 1)));
    }
  return out;
}

cv::Mat lbp_codes(const cv::Mat& pixels) {
  check_image(pixels, 3, "local binary patterns");
  // The 8 neighbours going round the centre.
  static const std::array<cv::Point, 8> around = {
      cv::Point(1, 0),  cv::Point(1, 1),   cv::Point(0, 1),  cv::Point(-1, 1),
      cv::Point(-1, 0), cv::Point(-1, -1), cv::Point(0, -1), cv::Point(1, -1)};
  cv::Mat codes(pixels.rows - 2, pixels.cols - 2, CV_8U);
  for (int y = 1; y + 1 < pixels.rows; ++y)
    for (int x = 1; x + 1 < pixels.cols; ++x) {
      const float centre = pixels.at<float>(y, x);
      std::array<bool, 8> bits{};
      for (size_t k = 0; k < 8; ++k)
        bits[k] = pixels.at<float>(y + around[k].y, x + around[k].x) >= centre;
      int ones = 0, changes = 0;
      for (size_t k = 0; k < 8; ++k) ones += bits[k], changes += bits[k] != bits[(k + 1) % 8];
      codes.at<uint8_t>(y - 1, x - 1) = uint8_t(changes <= 2 ? ones : 9);
    }
  return codes;
}

std::vector<float> lbp_histogram(const cv::Mat& pixels) {
  const cv::Mat codes = lbp_codes(pixels);
  std::vector<float> shares(10, 0.f);
  for (int y = 0; y < codes.rows; ++y)
    for (int x = 0; x < codes.cols; ++x) shares[codes.at<uint8_t>(y, x)] += 1;
  for (float& s : shares) s /= float(codes.total());
  return shares;
}

const std::vector<std::string>& texture_feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out = {"mean", "sd", "skewness", "kurtosis"};
    for (double q : kPercentiles)
      out.push_back(std::string(q < 10 ? "p0" : "p").append(std::to_string(int(q))));
    for (int d : kDistances)
      for (const char* p : {"contrast", "homogeneity", "energy", "correlation"})
        out.push_back(std::string("glcm_").append(p).append("_d").append(std::to_string(d)));
    for (int c = 0; c < 9; ++c) out.push_back(std::string("lbp_").append(std::to_string(c)));
    out.push_back("lbp_other");
    for (const std::string& f : pixel_feature_names()) {
      out.push_back(f + "_mean");
      out.push_back(f + "_sd");
    }
    return out;
  }();
  return names;
}

std::vector<float> texture_features(const cv::Mat& pixels) {
  check_image(pixels, 20, "texture features");
  std::vector<float> out = intensity_statistics(pixels);
  const cv::Mat levels = quantised_levels(pixels, kLevels);
  for (int d : kDistances) {
    const GlcmProperties p = glcm_at(levels, d);
    for (double v : {p.contrast, p.homogeneity, p.energy, p.correlation}) out.push_back(float(v));
  }
  for (float s : lbp_histogram(pixels)) out.push_back(s);
  for (float s : filter_bank_statistics(pixels)) out.push_back(s);
  return out;
}

}  // namespace tessera::materials
