// PSNR, SSIM and flicker against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "error_of.hpp"
#include "tessera/video/frame_metrics.hpp"

namespace tessera::video {
namespace {

using tessera::testing::error_of;

TEST(FrameMetrics, PsnrByHand) {
  cv::Mat a(4, 4, CV_32F, cv::Scalar(100)), b = a.clone();
  b.at<float>(0, 0) = 110;  // one error of 10 in 16 pixels: MSE 100 / 16
  EXPECT_NEAR(psnr(a, b, 255), 10 * std::log10(255.0 * 255 / (100.0 / 16)), 1e-9);
  EXPECT_TRUE(std::isinf(psnr(a, a, 255)));
}

TEST(FrameMetrics, SsimByHand) {
  cv::Mat a(16, 16, CV_32F, cv::Scalar(100)), b(16, 16, CV_32F, cv::Scalar(50));
  // Constant frames: no variance, so SSIM is the luminance term alone.
  const double c1 = std::pow(0.01 * 255, 2);
  EXPECT_NEAR(ssim(a, b, 255), (2 * 100 * 50 + c1) / (100 * 100 + 50 * 50 + c1), 1e-9);
  cv::Mat noise(16, 16, CV_32F);
  cv::randu(noise, 0, 255);
  EXPECT_NEAR(ssim(noise, noise, 255), 1, 1e-9);
  cv::Mat inverted = 255 - noise;
  EXPECT_LT(ssim(noise, inverted, 255), 0);  // anticorrelated structure
  EXPECT_HAS(error_of([&] { ssim(cv::Mat(8, 8, CV_32F), cv::Mat(8, 8, CV_32F), 255); }), "11 x 11");
  EXPECT_HAS(error_of([&] { psnr(a, cv::Mat(8, 8, CV_32F), 255); }), "one size");
}

TEST(FrameMetrics, ClipScoresOverBlocks) {
  // Reference: 4 frames of constant 0.5; result: the same plus 0.1 on odd frames (flicker of
  // 0.1 at every one of the 3 changes), fed in two blocks.
  const int64_t t = 4, h = 12, w = 12;
  Tensor ref = Tensor::full({1, 2, t, h, w}, 0.5f), res = ref.clone();
  float* p = res.data();
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t f = 1; f < t; f += 2)
      for (int64_t i = 0; i < h * w; ++i) p[(c * t + f) * h * w + i] += 0.1f;
  // Blocks [1, 2, 2, h, w] cut along time.
  auto block = [&](const Tensor& x, int64_t first) {
    Tensor out = Tensor::empty({1, 2, 2, h, w});
    for (int64_t c = 0; c < 2; ++c)
      std::copy_n(x.data() + (c * t + first) * h * w, 2 * h * w, out.data() + c * 2 * h * w);
    return out;
  };
  ClipScores s(1.0);
  s.add(block(res, 0), block(ref, 0));
  s.add(block(res, 2), block(ref, 2));
  EXPECT_EQ(s.frames(), 4);
  EXPECT_NEAR(s.flicker(), 0.1, 1e-6);
  // Two perfect frames (infinite PSNR) and two of MSE 0.01 (20 dB): the mean is infinite, so
  // check the frames.
  EXPECT_TRUE(std::isinf(s.frame_psnr()[0]));
  EXPECT_NEAR(s.frame_psnr()[1], 20, 1e-4);
  EXPECT_HAS(error_of([&] {
               s.add(Tensor::zeros({1, 1, 1, h, w}), Tensor::zeros({1, 2, 1, h, w}));
             }),
             "of one shape");
}

}  // namespace
}  // namespace tessera::video
