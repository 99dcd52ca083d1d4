#pragma once
// How close restored frames are to clean ones: PSNR and SSIM per frame (Wang et al. 2004: an 11 x
// 11 Gaussian window of sigma 1.5, K1 0.01, K2 0.03, the mean of the map over the window's valid
// positions), and flicker, the mean absolute error of the change from one frame to the next,
// which a per-frame score misses.
//
//   ClipScores s;
//   s.add(denoised_block, clean_block);   // blocks [1, C, t, H, W], values 0..peak
//   s.psnr(); s.ssim(); s.flicker();
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/tensor/tensor.hpp"

namespace tessera::video {

// frames [H, W] CV_32F of values in 0..peak. PSNR in dB (infinity for equal frames); SSIM of one
// channel in -1..1. Throw std::invalid_argument for frames of different sizes, or SSIM of a
// frame smaller than its 11 x 11 window.
double psnr(const cv::Mat& a, const cv::Mat& b, double peak);
double ssim(const cv::Mat& a, const cv::Mat& b, double peak);

// Scores over a clip, fed block by block in time order.
class ClipScores {
 public:
  explicit ClipScores(double peak) : peak_(peak) {}
  // result, reference: [1, C, t, H, W] of the same shape, the next t frames of the clip.
  void add(const Tensor& result, const Tensor& reference);

  int64_t frames() const { return int64_t(psnr_.size()); }
  double psnr() const;     // the mean of the frames' PSNR, dB
  double ssim() const;     // the mean of the frames' SSIM (channels averaged)
  double flicker() const;  // mean |(r[t] - r[t-1]) - (c[t] - c[t-1])| / peak over pixels and t
  const std::vector<double>& frame_psnr() const { return psnr_; }

 private:
  double peak_;
  std::vector<double> psnr_, ssim_;
  double flicker_sum_ = 0;
  int64_t flicker_count_ = 0;
  std::vector<cv::Mat> last_result_, last_reference_;  // per channel, the previous frame
};

}  // namespace tessera::video
