// Centre-heatmap targets and their decoding into boxes, by hand; detections found region by
// region (as tiles deliver them) equal those of the whole output, peaks on tile borders included.
#include <gtest/gtest.h>

#include <cmath>

#include "tessera/ecology/centre_decoding.hpp"
#include "tessera/ecology/centre_targets.hpp"

namespace tessera::ecology {
namespace {

float at(const Tensor& t, int64_t c, int64_t y, int64_t x) {
  return t.data()[(c * t.dim(2) + y) * t.dim(3) + x];
}

TEST(CentreTargets, GaussianOnTheCentrePixelWithSizes) {
  // A 40 x 20 box centred at (10.7, 8.2): centre pixel (10, 8), sigmas 4 and 2.
  const CentreTargets t = centre_targets({{10.7, 8.2, 40, 20, 1}}, 2, 24, 32);
  EXPECT_EQ(t.heat.shape(), (Shape{1, 2, 24, 32}));
  EXPECT_EQ(at(t.heat, 1, 8, 10), 1.f);
  EXPECT_NEAR(at(t.heat, 1, 8, 14), std::exp(-0.5), 1e-6);   // one sigma in x
  EXPECT_NEAR(at(t.heat, 1, 10, 10), std::exp(-0.5), 1e-6);  // one sigma in y
  EXPECT_NEAR(at(t.heat, 1, 10, 14), std::exp(-1.0), 1e-6);  // both
  EXPECT_EQ(at(t.heat, 0, 8, 10), 0.f);                      // the other class
  EXPECT_NEAR(at(t.size, 0, 8, 10), std::log(40.0), 1e-6);
  EXPECT_NEAR(at(t.size, 1, 8, 10), std::log(20.0), 1e-6);
  EXPECT_EQ(at(t.size_mask, 0, 8, 10), 1.f);
  EXPECT_EQ(at(t.size_mask, 0, 8, 14), 1.f);   // exp(-1/2) >= 1/2: sizes are learnt here too
  EXPECT_EQ(at(t.size_mask, 0, 10, 14), 0.f);  // exp(-1) < 1/2
  // Small boxes keep a sigma of one pixel.
  EXPECT_EQ(centre_sigma(4), 1.0);
  EXPECT_EQ(centre_sigma(30), 3.0);
}

TEST(CentreTargets, OverlapsKeepTheMaximumAndTheNearerSize) {
  // Sigmas 1 (a 10 px box at x 5) and 4 (a 40 x 10 box at x 9).
  const CentreTargets t = centre_targets({{5.5, 5.5, 10, 10, 0}, {9.5, 5.5, 40, 10, 0}}, 1, 12, 16);
  EXPECT_EQ(at(t.heat, 0, 5, 5), 1.f);
  EXPECT_EQ(at(t.heat, 0, 5, 9), 1.f);
  // Pixel (5, 6) is 1 sigma from the first box, 3/4 sigma from the second: the second owns it.
  EXPECT_NEAR(at(t.heat, 0, 5, 6), std::exp(-0.5 * 0.75 * 0.75), 1e-6);
  EXPECT_NEAR(at(t.size, 0, 5, 6), std::log(40.0), 1e-6);
}

TEST(CentreTargets, CentresOutsideTheCropDrawOnlyTails) {
  const CentreTargets t = centre_targets({{-2.0, 4.5, 40, 40, 0}}, 1, 10, 10);
  float peak = 0;
  for (int64_t i = 0; i < t.heat.numel(); ++i) peak = std::max(peak, t.heat.data()[i]);
  EXPECT_GT(peak, 0.5f);
  EXPECT_LT(peak, 1.f);
  EXPECT_THROW(centre_targets({{1, 1, 4, 4, 3}}, 2, 8, 8), std::invalid_argument);
}

// An output [1, classes + 2, H, W]: background logits of -10, sizes log 8.
Tensor blank_output(int64_t classes, int64_t h, int64_t w) {
  Tensor t = Tensor::full({1, classes + 2, h, w}, -10.f);
  for (int64_t i = classes * h * w; i < t.numel(); ++i) t.data()[i] = float(std::log(8.0));
  return t;
}

void set(Tensor& t, int64_t c, int64_t y, int64_t x, float v) {
  t.data()[(c * t.dim(2) + y) * t.dim(3) + x] = v;
}

TEST(CentreDecoding, PeaksBecomeBoxesAroundTheirPixel) {
  Tensor out = blank_output(2, 20, 30);
  set(out, 0, 5, 6, 2.f);    // a peak, score sigmoid(2)
  set(out, 0, 5, 7, 1.f);    // its lower neighbour: not a peak
  set(out, 1, 12, 20, 0.f);  // class 1, score 1/2
  set(out, 2, 12, 20, float(std::log(10.0)));
  set(out, 3, 12, 20, float(std::log(4.0)));
  const auto boxes = decode_centres(out, 7, {.min_score = 0.1});
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_NEAR(boxes[0].score, 1 / (1 + std::exp(-2.0)), 1e-6);
  EXPECT_EQ(boxes[0].category_id, 0);
  EXPECT_EQ(boxes[0].image_id, 7);
  EXPECT_NEAR(boxes[0].box.x, 6.5 - 4, 1e-5);
  EXPECT_NEAR(boxes[0].box.y, 5.5 - 4, 1e-5);
  EXPECT_NEAR(boxes[0].box.width, 8, 1e-5);
  EXPECT_EQ(boxes[1].category_id, 1);
  EXPECT_NEAR(boxes[1].box.x, 20.5 - 5, 1e-5);
  EXPECT_NEAR(boxes[1].box.height, 4, 1e-5);
  // Below min_score nothing is kept.
  EXPECT_EQ(decode_centres(out, 7, {.min_score = 0.9}).size(), 0u);
}

TEST(CentreDecoding, PlateausGiveOneBoxAndBoxesAreClippedToTheImage) {
  Tensor out = blank_output(1, 10, 10);
  set(out, 0, 0, 0, 3.f);
  set(out, 0, 0, 1, 3.f);
  const auto boxes = decode_centres(out, 0, {});
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_EQ(boxes[0].box.x, 0);  // centre 0.5 - 4 clipped
  EXPECT_NEAR(boxes[0].box.width, 4.5, 1e-5);
}

TEST(CentreDecoding, NonMaximumSuppressionPerClass) {
  const std::vector<Annotation> boxes = {
      {.image_id = 1, .category_id = 0, .box = {0, 0, 10, 10}, .score = 0.9},
      {.image_id = 1, .category_id = 0, .box = {1, 0, 10, 10}, .score = 0.8},  // IoU 9/11
      {.image_id = 1, .category_id = 1, .box = {1, 0, 10, 10}, .score = 0.7},  // other class
      {.image_id = 2, .category_id = 0, .box = {1, 0, 10, 10}, .score = 0.6},  // other image
      {.image_id = 1, .category_id = 0, .box = {6, 0, 10, 10}, .score = 0.5},  // IoU 4/16
  };
  const auto kept = non_max_suppression(boxes, 0.5);
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept[0].score, 0.9);
  EXPECT_EQ(kept[1].score, 0.7);
  EXPECT_EQ(kept[2].score, 0.6);
  EXPECT_EQ(kept[3].score, 0.5);
}

TEST(CentreDecoding, RegionByRegionEqualsWholeWithPeaksOnTheBorders) {
  // Objects straddling the seams of a 2 x 3 tiling, one exactly on a corner, each spreading
  // into the neighbouring tiles with a lower shoulder.
  const int64_t H = 40, W = 60;
  Tensor out = blank_output(1, H, W);
  const int64_t peaks[][2] = {{19, 30}, {20, 19}, {7, 20}, {33, 40}, {20, 39}, {5, 5}};
  float score = 4.f;
  for (const auto& p : peaks) {
    for (int64_t dy = -2; dy <= 2; ++dy)
      for (int64_t dx = -2; dx <= 2; ++dx)
        set(out, 0, p[0] + dy, p[1] + dx, score - 0.5f * float(std::abs(dy) + std::abs(dx)));
    score -= 0.3f;
  }
  const DecodeOptions o{.min_score = 0.05};
  const auto whole = decode_centres(out, 3, o);
  EXPECT_EQ(whole.size(), 6u);

  CentreCollector tiles(1, {H, W}, o.min_score);
  for (int64_t y0 : {0, 20})
    for (int64_t x0 : {0, 20, 40}) {
      const Region r{{y0, x0}, {20, 20}};
      Tensor part = Tensor::empty({1, 3, 20, 20});
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t y = 0; y < 20; ++y)
          for (int64_t x = 0; x < 20; ++x)
            part.data()[(c * 20 + y) * 20 + x] = at(out, c, y0 + y, x0 + x);
      tiles.write(r, part);
    }
  const auto tiled = tiles.detections(3, o);
  ASSERT_EQ(tiled.size(), whole.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(tiled[i].box.x, whole[i].box.x);
    EXPECT_EQ(tiled[i].box.y, whole[i].box.y);
    EXPECT_EQ(tiled[i].score, whole[i].score);
  }
}

}  // namespace
}  // namespace tessera::ecology
