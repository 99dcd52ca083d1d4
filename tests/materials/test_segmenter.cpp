// The weakly supervised segmenter: its loss against a direct computation, tiled phase maps equal
// to whole-image ones, a model that reads back the same, phase fractions by hand, and the
// errors of its workflow.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/data/micrograph_folder.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/materials/phase_segmenter.hpp"
#include "tessera/materials/workflow.hpp"

namespace tessera::materials {
namespace {

using tessera::testing::error_of;
using tessera::testing::TempDirTest;

TEST(PooledTagLoss, IsTheCrossEntropyOfTheMeanScoreSpreadOverThePixels) {
  // One image, two phases, 2x2 score maps; phase 0 present, phase 1 absent.
  Tensor scores = Tensor::empty({1, 2, 2, 2});
  const float values[] = {1, 2, 3, 6, -1, 0, -2, -5};
  std::copy(values, values + 8, scores.data());
  Tensor tags = Tensor::empty({1, 2, 1, 1});
  tags.data()[0] = 1, tags.data()[1] = 0;
  const LossResult l = pooled_tag_loss(scores, tags);
  const double m0 = 3, m1 = -2;  // the maps' means
  auto bce = [](double z, double t) { return std::log(1 + std::exp(-z)) + (1 - t) * z; };
  EXPECT_NEAR(l.value, (bce(m0, 1) + bce(m1, 0)) / 2, 1e-6);
  auto sigmoid = [](double z) { return 1 / (1 + std::exp(-z)); };
  const Tensor g = l.grad.to_plain();
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(g.data()[i], (sigmoid(m0) - 1) / 2 / 4, 1e-6);  // mean over 2 terms, 4 pixels
    EXPECT_NEAR(g.data()[4 + i], sigmoid(m1) / 2 / 4, 1e-6);
  }
}

TEST(PooledTagLoss, LogSumExpPoolingWeighsPixelsByTheirSoftmax) {
  Tensor scores = Tensor::empty({1, 1, 1, 3});
  const float values[] = {0, 1, 3};
  std::copy(values, values + 3, scores.data());
  Tensor tags = Tensor::full({1, 1, 1, 1}, 1.f);
  const double r = 2;
  const double sum = std::exp(0.0) + std::exp(2.0) + std::exp(6.0);
  const double pooled = std::log(sum / 3) / r;  // between the mean 4/3 and the maximum 3
  const LossResult l = pooled_tag_loss(scores, tags, r);
  EXPECT_NEAR(l.value, std::log(1 + std::exp(-pooled)), 1e-5);
  const double d = 1 / (1 + std::exp(-pooled)) - 1;  // d loss / d pooled
  const Tensor g = l.grad.to_plain();
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(g.data()[i], d * std::exp(r * values[i]) / sum, 1e-6) << i;
}

TEST(PhaseMap, BestScoringAmongThePhasesPresentAround) {
  // Two phases on a 1x4 strip. Phase 1 scores highest at pixel 0 but its mean over the strip is
  // below 0 (absent there), so with a window the pixel is phase 0; without one, phase 1.
  Tensor scores = Tensor::empty({1, 2, 1, 4});
  const float values[] = {1, 1, 1, 1, /* phase 1 */ 3, -4, -4, -4};
  std::copy(values, values + 8, scores.data());
  const cv::Mat all = phase_map(scores);
  EXPECT_EQ(all.at<uint8_t>(0, 0), 1);
  EXPECT_EQ(all.at<uint8_t>(0, 1), 0);
  const cv::Mat gated = phase_map(scores, 9);
  EXPECT_EQ(cv::countNonZero(gated), 0);
  // When no phase is present, the best of all.
  Tensor absent = Tensor::full({1, 2, 1, 4}, -1.f);
  absent.data()[5] = -0.5f;
  EXPECT_EQ(phase_map(absent, 9).at<uint8_t>(0, 1), 1);
}

TEST(PhaseMap, ABackgroundPhaseIsWhereNoOtherScoresAboveZero) {
  // Phase 0 the background: its own scores (9) are ignored; pixel 0 is phase 1 (0.5 > 0),
  // pixel 1 background (-2 < 0) even though phase 1 is its best.
  Tensor scores = Tensor::empty({1, 2, 1, 2});
  const float values[] = {9, 9, /* phase 1 */ 0.5f, -2};
  std::copy(values, values + 4, scores.data());
  const cv::Mat labels = phase_map(scores, 0, 0);
  EXPECT_EQ(labels.at<uint8_t>(0, 0), 1);
  EXPECT_EQ(labels.at<uint8_t>(0, 1), 0);
}

TEST(PooledTagLoss, ABackgroundPhaseIsNotLearnt) {
  Tensor scores = Tensor::full({1, 2, 1, 2}, 1.f);
  Tensor tags = Tensor::empty({1, 2, 1, 1});
  tags.data()[0] = 0, tags.data()[1] = 1;
  const LossResult with = pooled_tag_loss(scores, tags, 0, 0);
  EXPECT_NEAR(with.value, std::log(1 + std::exp(-1.0)), 1e-6);  // phase 1's term alone
  const Tensor g = with.grad.to_plain();
  EXPECT_EQ(g.data()[0], 0.f);
  EXPECT_EQ(g.data()[1], 0.f);
  EXPECT_NE(g.data()[2], 0.f);
}

class Segmenter : public TempDirTest {
 protected:
  // A small segmenter trained briefly on a generated folder.
  PhaseSegmenter small(const std::string& folder) {
    data::write_micrograph_folder({.folder = path(folder),
                                   .specimens = 2,
                                   .images_per_specimen = 1,
                                   .width = 160,
                                   .height = 128});
    SegmenterTraining t{.inputs = {.images = path(folder + "/images")},
                        .tags = path(folder + "/tags_tiles.csv"),
                        .output = path(folder + ".h5")};
    t.train = {.patch = 16, .batch = 4, .steps = 3, .channels = {4, 8}};
    return train_segmenter_from_files(t);
  }
};

TEST_F(Segmenter, TiledMapsEqualWholeImageMapsAndTheModelReadsBack) {
  PhaseSegmenter s = small("m");
  EXPECT_EQ(s.phases,
            (std::vector<std::string>{"matrix", "network", "spheroidite", "widmanstatten"}));
  const Micrograph m = read_micrograph(path("m/images/s0_0.png"));
  const Tensor whole = phase_scores(s, m.pixels, {.whole = true});
  const Tensor tiled = phase_scores(s, m.pixels, {.tile = {.tile = {24, 40}}});
  ASSERT_EQ(whole.shape(), tiled.shape());
  for (int64_t i = 0; i < whole.numel(); ++i)
    ASSERT_NEAR(whole.data()[i], tiled.data()[i], 1e-4) << i;
  PhaseSegmenter again = load_phase_segmenter(path("m.h5"));
  EXPECT_EQ(again.phases, s.phases);
  EXPECT_EQ(cv::countNonZero(segment_micrograph(s, m) != segment_micrograph(again, m)), 0);
  EXPECT_HAS(error_of([&] { load_phase_segmenter(path("m/images/s0_0.png")); }), "s0_0.png");
}

TEST_F(Segmenter, PseudoMasksKeepToTheTaggedPhasesAndRefineReadsBack) {
  PhaseSegmenter s = small("m");
  const Micrograph m = read_micrograph(path("m/images/s0_0.png"));
  TaggedRegion r{m.pixels, {false, false, true, false}, "one phase"};
  EXPECT_EQ(cv::countNonZero(pseudo_mask(s, r) != 2), 0);
  r.present = {true, false, true, false};
  const cv::Mat two = pseudo_mask(s, r);
  EXPECT_EQ(cv::countNonZero((two != 0) & (two != 2)), 0);
  // Tagged with none: the best of all, as the plain phase map.
  r.present = {false, false, false, false};
  EXPECT_EQ(cv::countNonZero(pseudo_mask(s, r) != phase_map(phase_scores(s, m.pixels))), 0);
  // A refined segmenter is read pixel by pixel, also once saved.
  data::write_micrograph_folder(
      {.folder = path("r"), .specimens = 1, .images_per_specimen = 1, .width = 160, .height = 128});
  SegmenterTraining t{.inputs = {.images = path("r/images")},
                      .tags = path("r/tags_tiles.csv"),
                      .output = path("r.h5")};
  t.train = {.patch = 16, .batch = 4, .steps = 2, .channels = {4, 8}, .refine_steps = 2};
  const PhaseSegmenter refined = train_segmenter_from_files(t);
  EXPECT_TRUE(refined.pixelwise);
  EXPECT_EQ(refined.steps, 4);
  EXPECT_TRUE(load_phase_segmenter(path("r.h5")).pixelwise);
}

TEST_F(Segmenter, TheFolderGetsMapsOverlaysAndFractions) {
  small("m");
  const SegmentationReport r =
      segment_folder({.model = path("m.h5"),
                      .inputs = {.images = path("m/images"), .metadata = path("m/metadata.csv")},
                      .output = path("out")});
  EXPECT_EQ(r.images, (std::vector<std::string>{"s0_0", "s1_0"}));
  EXPECT_TRUE(std::filesystem::exists(path("out/s0_0.png")));
  EXPECT_TRUE(std::filesystem::exists(path("out/s1_0_overlay.png")));
  EXPECT_HAS(r.fractions_csv, "image,specimen,matrix,network,spheroidite,widmanstatten,");
  EXPECT_HAS(r.fractions_csv, "\nmean of 1,s0,");
}

TEST_F(Segmenter, MistakesAreNamedAndWriteNothing) {
  data::write_micrograph_folder({.folder = path("m"), .specimens = 1, .images_per_specimen = 1});
  std::ofstream(path("tags.csv")) << "name,has_a,has_b\nnowhere,1,0\n";
  SegmenterTraining t{
      .inputs = {.images = path("m/images")}, .tags = path("tags.csv"), .output = path("x.h5")};
  EXPECT_HAS(error_of([&] { train_segmenter_from_files(t); }), "tags.csv:2: no image 'nowhere'");
  EXPECT_FALSE(std::filesystem::exists(path("x.h5")));
  t.tags = path("m/tags_tiles.csv");
  t.train.patch = 128;  // tiles of 64x60
  EXPECT_EQ(tessera::testing::setting_of([&] { train_segmenter_from_files(t); }), "patch");
  t.train.patch = 16;
  t.background = "ferrite";  // not one of the tags' phases
  EXPECT_EQ(tessera::testing::setting_of([&] { train_segmenter_from_files(t); }), "background");
  std::ofstream(path("meta.csv")) << "name,um_per_px\ns0_0,0\n";
  EXPECT_HAS(error_of([&] { read_image_facts(path("meta.csv")); }),
             "meta.csv:2: um_per_px: '0' is not a positive number");
}

TEST(PhaseFractions, PerImageAndPerSpecimenByHand) {
  const std::string csv = phase_fractions_csv({"a", "b"}, {"x", "y", "z"}, {"s", "s", ""},
                                              {{0.25, 0.75}, {0.75, 0.25}, {1, 0}});
  EXPECT_EQ(csv,
            "image,specimen,a,b,a_sd,b_sd\n"
            "x,s,0.2500,0.7500,,\n"
            "y,s,0.7500,0.2500,,\n"
            "z,,1.0000,0.0000,,\n"
            "mean of 2,s,0.5000,0.5000,0.3536,0.3536\n");
}

}  // namespace
}  // namespace tessera::materials
