#include "tessera/materials/pixel_features.hpp"

#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace tessera::materials {

namespace {

cv::Mat gaussian(const cv::Mat& image, double sigma) {
  cv::Mat out;
  cv::GaussianBlur(image, out, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  return out;
}

// A derivative of `image` by OpenCV's 3x3 Sobel kernels, scaled to a per-pixel difference (the
// kernels weigh their rows 1, 2, 1 and so carry a factor of 4; the first derivative's central
// difference a further 2).
cv::Mat derivative(const cv::Mat& image, int dx, int dy) {
  const double scale = dx + dy == 1 ? 1.0 / 8 : 1.0 / 4;
  cv::Mat out;
  cv::Sobel(image, out, CV_32F, dx, dy, 3, scale, 0, cv::BORDER_REFLECT);
  return out;
}

// The features of one sigma, in the order of pixel_feature_names.
std::vector<cv::Mat> features_at(const cv::Mat& image, double sigma) {
  const cv::Mat smooth = gaussian(image, sigma);
  cv::Mat gradient, log, dog, hessian_max, hessian_min, sd;
  cv::magnitude(derivative(smooth, 1, 0), derivative(smooth, 0, 1), gradient);
  cv::Laplacian(smooth, log, CV_32F, 1, 1, 0, cv::BORDER_REFLECT);
  dog = smooth - gaussian(image, 2 * sigma);
  // Eigenvalues of [[xx, xy], [xy, yy]]: the mean of the diagonal plus or minus the radius.
  const cv::Mat xx = derivative(smooth, 2, 0), yy = derivative(smooth, 0, 2),
                xy = derivative(smooth, 1, 1);
  const cv::Mat half_trace = (xx + yy) * 0.5, half_difference = (xx - yy) * 0.5;
  cv::Mat radius;
  cv::magnitude(half_difference, xy, radius);
  hessian_max = half_trace + radius;
  hessian_min = half_trace - radius;
  // Local variance E[x^2] - E[x]^2 under the same Gaussian window, clipped at 0 against
  // rounding.
  cv::Mat variance = gaussian(image.mul(image), sigma) - smooth.mul(smooth);
  cv::max(variance, 0, variance);
  cv::sqrt(variance, sd);
  return {smooth, gradient, log, dog, hessian_max, hessian_min, sd};
}

}  // namespace

const std::vector<double>& pixel_feature_sigmas() {
  static const std::vector<double> sigmas = {1, 2, 4, 8};
  return sigmas;
}

const std::vector<std::string>& pixel_feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out = {"intensity"};
    for (double s : pixel_feature_sigmas())
      for (const char* f :
           {"gaussian", "gradient", "log", "dog", "hessian_max", "hessian_min", "sd"})
        out.push_back(std::string(f).append("_s").append(std::to_string(int(s))));
    return out;
  }();
  return names;
}

cv::Mat pixel_features(const cv::Mat& pixels) {
  if (pixels.empty() || pixels.type() != CV_32FC1)
    throw std::invalid_argument("pixel features: the image must be non-empty CV_32F, one channel");
  std::vector<cv::Mat> maps = {pixels};
  for (double s : pixel_feature_sigmas())
    for (cv::Mat& m : features_at(pixels, s)) maps.push_back(std::move(m));
  const int n = pixels.rows * pixels.cols;
  cv::Mat out(n, int(maps.size()), CV_32F);
  for (size_t f = 0; f < maps.size(); ++f) {
    const cv::Mat map = maps[f].isContinuous() ? maps[f] : maps[f].clone();  // a crop is not
    map.reshape(1, n).copyTo(out.col(int(f)));
  }
  return out;
}

}  // namespace tessera::materials
