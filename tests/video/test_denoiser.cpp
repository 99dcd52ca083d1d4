// The denoiser: tiled and streamed denoising equal whole-frame denoising, a saved model reads
// back and denoises the same, the training pairs are what they claim, and bad settings are
// refused.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/video/denoise_stream.hpp"
#include "tessera/video/denoiser_training.hpp"
#include "tessera/video/nlm_baseline.hpp"
#include "tessera/video/sensor_noise.hpp"

namespace tessera::video {
namespace {

using tessera::testing::error_of;

CameraProfile camera() {
  CameraProfile c;
  c.name = "test", c.gain = 2, c.read_noise_dn = 2, c.black_level = 16, c.white_level = 4095;
  c.bits = 12;
  return c;
}

// A noisy raw clip [1, C, T, H, W] of a moving ramp.
Tensor raw_clip(int64_t c, int64_t t, int64_t h, int64_t w) {
  Tensor light = Tensor::empty({1, c, t, h, w});
  float* p = light.data();
  for (int64_t i = 0; i < light.numel(); ++i) {
    const int64_t x = i % w, f = (i / (w * h)) % t;
    p[i] = float(0.2 + 0.6 * double((x + 3 * f) % w) / double(w));
  }
  std::mt19937_64 rng(3);
  return add_sensor_noise(light, camera(), 50, rng);
}

Denoiser tiny_denoiser(int64_t frames, int64_t shuffle = 1) {
  Denoiser d;
  d.frames = frames;
  d.shuffle = shuffle;
  d.camera = camera();
  d.photons_min = 10, d.photons_max = 100;
  d.network =
      make_denoiser_network({.frames = frames, .shuffle = shuffle, .channels = {4, 8}, .seed = 5});
  return d;
}

std::vector<Tensor> denoised(Denoiser& d, VolumeSource& clip, const StreamOptions& o) {
  std::vector<Tensor> out;
  denoise_frames(d, clip, o, [&](int64_t t, const Tensor& f) {
    EXPECT_EQ(t, int64_t(out.size()));
    out.push_back(f.clone());
  });
  return out;
}

void expect_same_frames(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t t = 0; t < a.size(); ++t) {
    const auto x = a[t].to_vector(), y = b[t].to_vector();
    ASSERT_EQ(x.size(), y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, double(std::abs(x[i] - y[i])));
    EXPECT_LT(worst, 1e-4) << "frame " << t;
  }
}

TEST(Denoiser, MirroredFramesAtTheEnds) {
  EXPECT_EQ(mirrored_frame(-1, 5), 1);
  EXPECT_EQ(mirrored_frame(-2, 5), 2);
  EXPECT_EQ(mirrored_frame(5, 5), 3);
  EXPECT_EQ(mirrored_frame(6, 5), 2);
  EXPECT_EQ(mirrored_frame(2, 5), 2);
  EXPECT_EQ(mirrored_frame(-1, 2), 1);
  EXPECT_EQ(mirrored_frame(3, 1), 0);
}

TEST(Denoiser, TiledStreamEqualsWholeFrames) {
  for (int64_t shuffle : {1, 2}) {
    Denoiser d = tiny_denoiser(5, shuffle);
    TensorSource clip(raw_clip(2, 6, 41, 53));  // odd: the pixel shuffle pads the edges
    StreamOptions o{.camera = camera(), .photons = 50};
    o.whole = true;
    const auto whole = denoised(d, clip, o);
    o.whole = false;
    o.tile.tile = {8, 16};  // rows per chunk, column edge: many tiles per frame
    expect_same_frames(whole, denoised(d, clip, o));
    // The correction is added to the noisy middle frame: a network that outputs zero would give
    // the normalised input back, so the output differs from it.
    const Tensor first = clip.read({{0, 0, 0}, {1, 41, 53}});
    EXPECT_NE(whole[0].to_vector()[0], float((first.to_vector()[0] - 16) / (2 * 50)));
  }
}

TEST(Denoiser, FramesOptionStopsEarlyAndShortClipsMirror) {
  Denoiser d = tiny_denoiser(5);
  TensorSource clip(raw_clip(1, 3, 16, 16));  // shorter than the window
  StreamOptions o{.camera = camera(), .photons = 50, .frames = 2, .whole = true};
  EXPECT_EQ(denoised(d, clip, o).size(), 2u);
}

class DenoiserFiles : public tessera::testing::TempDirTest {};

TEST_F(DenoiserFiles, SavedModelReadsBackAndDenoisesTheSame) {
  Denoiser d = tiny_denoiser(3);
  save_denoiser(path("d.h5"), d);
  Denoiser back = load_denoiser(path("d.h5"));
  EXPECT_EQ(back.frames, 3);
  EXPECT_EQ(back.camera.gain, 2);
  EXPECT_EQ(back.camera.black_level, 16);
  EXPECT_EQ(back.photons_max, 100);
  TensorSource clip(raw_clip(1, 4, 24, 24));
  const StreamOptions o{.camera = camera(), .photons = 50, .whole = true};
  expect_same_frames(denoised(d, clip, o), denoised(back, clip, o));
}

TEST(Denoiser, TrainingPairsAreWhatTheyClaim) {
  CleanClip clip;
  clip.frames = 6, clip.channels = 1;
  clip.to_linear.resize(256);
  for (int v = 0; v < 256; ++v) clip.to_linear[size_t(v)] = float(v) / 255;
  for (int f = 0; f < 6; ++f) clip.planes.push_back(cv::Mat(20, 24, CV_8U, cv::Scalar(40 * f)));
  std::mt19937_64 rng(1);
  CameraProfile c = camera();
  c.gain = 0.001, c.white_level = 1e7;  // a million electrons at white, far from clipping
  const DenoiserBatch b = denoiser_batch(clip, c, 3, 1, 16, 4, 1e6, 1e6, rng);
  ASSERT_EQ(b.input.shape(), (Shape{4, 5, 16, 16}));
  ASSERT_EQ(b.target.shape(), (Shape{4, 1, 16, 16}));
  // With the pixel shuffle every 2 x 2 block is channels.
  const DenoiserBatch shuffled = denoiser_batch(clip, c, 3, 2, 16, 4, 1e6, 1e6, rng);
  EXPECT_EQ(shuffled.input.shape(), (Shape{4, 20, 8, 8}));
  EXPECT_EQ(shuffled.target.shape(), (Shape{4, 4, 8, 8}));
  const auto noise = noise_levels(c, 1e6);
  const float* x = b.input.data();
  const float* y = b.target.data();
  for (int64_t s = 0; s < 4; ++s) {
    const float* sample = x + s * 5 * 256;
    // Noise planes constant; at a million electrons the noisy frames are the clean ones within
    // a fraction of a percent, so the target (clean - noisy) is small and the frames step by
    // 40 / 255 from one to the next (either way round: clips are also played backwards).
    EXPECT_EQ(sample[3 * 256 + 17], noise[0]);
    EXPECT_EQ(sample[4 * 256 + 200], noise[1]);
    EXPECT_NEAR(std::abs(sample[2 * 256] - sample[256]), 40.0 / 255, 0.01);
    EXPECT_NEAR(y[s * 256 + 9], 0, 0.01);
    // noisy middle + target is the clean middle frame exactly: one of the levels 40 f / 255.
    const double clean = (sample[256 + 9] + y[s * 256 + 9]) * 255 / 40;
    EXPECT_NEAR(clean, std::round(clean), 1e-4);
  }
}

TEST(Denoiser, RefusesBadWindowsAndCrops) {
  EXPECT_HAS(error_of([] { make_denoiser_network({.frames = 4}); }), "odd");
  CleanClip clip;
  clip.frames = 2, clip.channels = 1;
  clip.to_linear.assign(256, 0);
  for (int f = 0; f < 2; ++f) clip.planes.push_back(cv::Mat(16, 16, CV_8U, cv::Scalar(0)));
  DenoiserTrainOptions o;
  o.steps = 1;
  EXPECT_HAS(error_of([&] { train_denoiser(clip, camera(), o); }), "fewer than the window");
  o.network.frames = 1, o.patch = 64;
  EXPECT_HAS(error_of([&] { train_denoiser(clip, camera(), o); }), "do not fit");
}

TEST(Denoiser, NonLocalMeansLowersNoise) {
  std::mt19937_64 rng(2);
  std::normal_distribution<float> noise(0, 0.03f);
  std::vector<cv::Mat> planes;
  for (int f = 0; f < 5; ++f) {
    cv::Mat p(48, 48, CV_32F);
    for (int i = 0; i < p.rows * p.cols; ++i) p.at<float>(i) = 0.3f + noise(rng);
    planes.push_back(p);
  }
  const cv::Mat out = nlm_denoise(planes, 10);
  cv::Scalar mean_in, sd_in, mean_out, sd_out;
  cv::meanStdDev(planes[2], mean_in, sd_in);
  cv::meanStdDev(out, mean_out, sd_out);
  EXPECT_LT(sd_out[0], 0.5 * sd_in[0]);
  EXPECT_NEAR(mean_out[0], 0.3, 0.03);
}

}  // namespace
}  // namespace tessera::video
