// Frame and clip scores. SSIM follows Wang et al.'s reference implementation (Gaussian-weighted
// local moments) with OpenCV's filters doing the windows.
#include "tessera/video/frame_metrics.hpp"

#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace tessera::video {

namespace {

void require_same(const cv::Mat& a, const cv::Mat& b, const char* what) {
  if (a.size() != b.size() || a.type() != CV_32F || b.type() != CV_32F)
    throw std::invalid_argument(std::string(what) +
                                ": the two frames must be single-channel float of one size");
}

// The window's valid positions of the Gaussian-filtered image (no padding).
cv::Mat local_mean(const cv::Mat& x) {
  constexpr int kWindow = 11;
  cv::Mat k = cv::getGaussianKernel(kWindow, 1.5, CV_64F);
  cv::Mat out;
  cv::sepFilter2D(x, out, CV_64F, k, k, cv::Point(-1, -1), 0, cv::BORDER_REFLECT);
  const int r = kWindow / 2;
  return out(cv::Rect(r, r, x.cols - 2 * r, x.rows - 2 * r));
}

double psnr_of_mse(double mse, double peak) {
  return mse == 0 ? std::numeric_limits<double>::infinity() : 10 * std::log10(peak * peak / mse);
}

double mean_of(const std::vector<double>& v) {
  return v.empty() ? std::nan("") : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

}  // namespace

double psnr(const cv::Mat& a, const cv::Mat& b, double peak) {
  require_same(a, b, "psnr");
  return psnr_of_mse(cv::norm(a, b, cv::NORM_L2SQR) / double(a.total()), peak);
}

double ssim(const cv::Mat& a, const cv::Mat& b, double peak) {
  require_same(a, b, "ssim");
  if (a.rows < 11 || a.cols < 11)
    throw std::invalid_argument("ssim: frames must be at least 11 x 11 pixels");
  const double c1 = std::pow(0.01 * peak, 2), c2 = std::pow(0.03 * peak, 2);
  cv::Mat x, y;
  a.convertTo(x, CV_64F), b.convertTo(y, CV_64F);
  const cv::Mat mx = local_mean(x), my = local_mean(y);
  const cv::Mat sxx = local_mean(x.mul(x)) - mx.mul(mx);
  const cv::Mat syy = local_mean(y.mul(y)) - my.mul(my);
  const cv::Mat sxy = local_mean(x.mul(y)) - mx.mul(my);
  cv::Mat num = (2 * mx.mul(my) + c1).mul(2 * sxy + c2);
  cv::Mat den = (mx.mul(mx) + my.mul(my) + c1).mul(sxx + syy + c2);
  cv::Mat map;
  cv::divide(num, den, map);
  return cv::mean(map)[0];
}

void ClipScores::add(const Tensor& result, const Tensor& reference) {
  if (result.shape() != reference.shape() || result.ndim() != 5)
    throw std::invalid_argument("clip scores: result " + to_string(result.shape()) +
                                " and reference " + to_string(reference.shape()) +
                                " must be [1, C, T, H, W] of one shape");
  const Tensor r = result.to_plain(), c = reference.to_plain();
  const int64_t channels = r.dim(1), t_count = r.dim(2);
  const int h = int(r.dim(3)), w = int(r.dim(4));
  // cv::Mat views of channel k of frame t; the tensors outlive them within this call.
  auto plane = [&](const Tensor& x, int64_t k, int64_t t) {
    return cv::Mat(h, w, CV_32F, const_cast<float*>(x.data()) + (k * t_count + t) * h * w);
  };
  for (int64_t t = 0; t < t_count; ++t) {
    double sq = 0, s = 0;
    for (int64_t k = 0; k < channels; ++k) {
      const cv::Mat a = plane(r, k, t), b = plane(c, k, t);
      sq += cv::norm(a, b, cv::NORM_L2SQR);
      s += video::ssim(a, b, peak_);
      if (last_result_.size() == size_t(channels)) {
        cv::Mat change = (a - last_result_[size_t(k)]) - (b - last_reference_[size_t(k)]);
        flicker_sum_ += cv::norm(change, cv::NORM_L1) / peak_;
        flicker_count_ += int64_t(a.total());
      }
    }
    psnr_.push_back(psnr_of_mse(sq / double(channels * h * w), peak_));
    ssim_.push_back(s / double(channels));
    last_result_.resize(size_t(channels)), last_reference_.resize(size_t(channels));
    for (int64_t k = 0; k < channels; ++k) {
      plane(r, k, t).copyTo(last_result_[size_t(k)]);
      plane(c, k, t).copyTo(last_reference_[size_t(k)]);
    }
  }
}

double ClipScores::psnr() const {
  return mean_of(psnr_);
}
double ClipScores::ssim() const {
  return mean_of(ssim_);
}
double ClipScores::flicker() const {
  return flicker_count_ ? flicker_sum_ / double(flicker_count_) : std::nan("");
}

}  // namespace tessera::video
