// The connectomics workflows end to end on small generated volumes: synth's files, a tiny
// affinity model trained from them, predict and segment in one go with an output per threshold,
// and the scores; bad settings named by their fields.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/connectomics/workflow.hpp"
#include "tessera/data/em_volume.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::connectomics {
namespace {

namespace fs = std::filesystem;
using tessera::testing::error_of;
using tessera::testing::setting_of;
using ConnectomicsWorkflow = tessera::testing::TempDirTest;

TEST(ConnectomicsOutputs, NamesPerThresholdAndBesideTheSegmentation) {
  EXPECT_EQ(output_for_threshold("out/seg.h5:seg", 0.5), "out/seg_t0.5.h5:seg");
  EXPECT_EQ(output_for_threshold("seg.nrrd", 0.25), "seg_t0.25.nrrd");
  EXPECT_EQ(affinities_beside("out/seg.h5:seg"), "out/seg_affinities.h5:affinities");
}

TEST(ConnectomicsSettings, BadSettingsAreNamedByTheirFields) {
  EXPECT_EQ(setting_of([] { check_train_options({.patch = {6, 32, 32}}); }), "patch");
  EXPECT_HAS(error_of([] {
               check_train_options({.patch = {6, 32, 32}});
             }),
             "patch: sizes must be multiples of 4");
  EXPECT_EQ(setting_of([] { check_train_options({.batch = 3}, 2); }), "batch");
  EXPECT_EQ(setting_of([] { data::make_em_volume({.size = {8, 0, 8}}); }), "size");
  EXPECT_EQ(setting_of([] { data::make_em_volume({.cell_size = 1}); }), "cell_size");
  // Fields set one by one: GCC 12 warns (falsely) about designated initializers that leave
  // VolumeSegmentOptions' vector to its default.
  AffinitySegmentation no_raw;
  no_raw.affinities = "a.h5:a", no_raw.output = "s.h5:s", no_raw.preview = "p.png";
  EXPECT_EQ(setting_of([&] { segment_affinities(no_raw); }), "preview");
}

TEST_F(ConnectomicsWorkflow, TrainPredictSegmentAndEvaluate) {
  const data::EmVolumeFiles volume{
      path("raw.h5") + ":raw", path("ids.h5") + ":ids", {.size = {8, 32, 32}, .cell_size = 12}};
  EXPECT_GT(data::write_em_volume(volume), 0);
  EXPECT_HAS(error_of([&] {
               data::write_em_volume({path("r.h5") + ":raw", path("ids.png"), {}});
             }),
             "cannot hold label ids");
  EXPECT_FALSE(fs::exists(path("r.h5")));  // the labels' format is checked before any work

  auto comm = make_communicator("local");
  std::ostringstream log;
  train_affinities({.raw = volume.raw,
                    .labels = volume.labels,
                    .output = path("aff.h5"),
                    .train = {.patch = {8, 16, 16}, .steps = 2, .channels = {2, 4}},
                    .log = &log},
                   *comm);
  EXPECT_HAS(log.str(), "training a 3D U-Net (channels [2,4]) for affinities on [6,32,32]");
  EXPECT_HAS(log.str(), "  step 1  loss ");
  ASSERT_TRUE(fs::exists(path("aff.h5")));

  const AffinityPrediction predict{.model = path("aff.h5"), .raw = volume.raw, .progress = false};
  AffinitySegmentation segment;
  segment.output = path("seg.h5") + ":seg";
  segment.settings.thresholds = {0.4, 0.6};
  segment.preview = path("seg.png");
  const PipelineReport r = predict_and_segment(predict, segment);
  EXPECT_EQ(r.prediction.output, path("seg_affinities.h5") + ":affinities");
  EXPECT_EQ(r.prediction.size, (Shape{8, 32, 32}));
  ASSERT_EQ(r.segmentation.outputs.size(), 2u);
  EXPECT_EQ(r.segmentation.outputs[1], path("seg_t0.6.h5") + ":seg");
  EXPECT_EQ(r.segmentation.volume.segments.size(), 2u);
  EXPECT_TRUE(fs::exists(path("seg_t0.4.h5")));
  EXPECT_TRUE(fs::exists(path("seg.png")));

  const nlohmann::json scores = evaluate_files({.truth = volume.labels,
                                                .segmentation = r.segmentation.outputs[0],
                                                .output = path("scores.json")})
                                    .scores;
  EXPECT_TRUE(scores.contains("cremi_score"));
  EXPECT_EQ(scores["voi"].get<double>(),
            scores["voi_split"].get<double>() + scores["voi_merge"].get<double>());
  EXPECT_TRUE(fs::exists(path("scores.json")));
}

}  // namespace
}  // namespace tessera::connectomics
