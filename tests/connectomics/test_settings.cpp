// The segmentation settings from training to segmentation: train holds out slices and chooses
// the settings there, the model keeps them, predict records them (and the offsets) in the
// affinity file, segment uses them unless told otherwise; evaluate sweeps the threshold; an
// empty volume is an error.
#include <H5Cpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/connectomics/workflow.hpp"
#include "tessera/data/em_volume.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::connectomics {
namespace {

namespace fs = std::filesystem;
using tessera::testing::error_of;
using tessera::testing::setting_of;
using SegmentationSettingsTest = tessera::testing::TempDirTest;

TEST(HeldOut, TheLastSlicesAreHeldOutAndTooThinAVolumeIsAnError) {
  const data::EmVolume v = data::make_em_volume({.size = {10, 16, 16}, .cell_size = 8});
  const LabelVolume labels{{10, 16, 16}, v.ids, {}};
  const TrainingVolumes split = hold_out(v.raw, labels, {.fraction = 0.2});
  EXPECT_EQ(split.labels.size, (Shape{8, 16, 16}));
  EXPECT_EQ(split.held_labels.size, (Shape{2, 16, 16}));
  EXPECT_EQ(split.held_raw.shape(), (Shape{1, 1, 2, 16, 16}));
  EXPECT_EQ(split.held_out, "z slices 8..9");
  EXPECT_EQ(split.held_labels.ids.front(), v.ids[8 * 16 * 16]);
  EXPECT_EQ(split.held_raw.data()[0], v.raw.data()[8 * 16 * 16]);
  EXPECT_FALSE(hold_out(v.raw, labels, {.fraction = 0}).has_held_out());
  EXPECT_HAS(error_of([&] { hold_out(v.raw, labels, {.fraction = 0.7}); }),
             "leaves fewer than 4 to train on");
  EXPECT_EQ(setting_of([&] { check_held_out_options({.fraction = 1.5}); }), "held_out_fraction");
  EXPECT_EQ(setting_of([&] { check_held_out_options({.raw = "v.h5:raw"}); }), "held_out_labels");
}

TEST(SettingsSweep, TriesEveryCombinationAndTheBestHasTheLowestScore) {
  const data::EmVolume v = data::make_em_volume({.size = {6, 32, 32}, .cell_size = 10});
  const LabelVolume truth{{6, 32, 32}, v.ids, {}};
  SettingsGrid grid;
  grid.boundary_thresholds = {0.3f, 0.5f};
  grid.seed_heights = {1.0};
  grid.thresholds = {0.2, 0.8};
  const std::vector<SettingsTrial> trials =
      sweep_settings(intensity_affinities(v.raw), truth, grid);
  ASSERT_EQ(trials.size(), 4u);
  EXPECT_FLOAT_EQ(trials[1].settings.watershed.threshold, 0.3f);
  EXPECT_DOUBLE_EQ(trials[1].settings.threshold, 0.8);
  const SettingsTrial& best = best_trial(trials);
  for (const SettingsTrial& t : trials) EXPECT_LE(best.scores.cremi_score, t.scores.cremi_score);
  // A lower threshold only adds merges.
  EXPECT_GE(trials[1].segments, trials[0].segments);
}

// A 3-channel affinity volume from the truth (1 inside objects, 0 across boundaries), with the
// given attributes.
std::string write_affinities(const std::string& spec, const data::EmVolume& v, const Shape& size,
                             const std::map<std::string, std::string>& attributes) {
  const Tensor aff = intensity_affinities(v.raw);
  VolumeInfo info{.channels = 3, .size = size};
  info.attributes = attributes;
  auto sink = create_volume(spec, info, 3);
  sink->write(Region::whole(size), aff);
  sink->commit();
  return spec;
}

TEST_F(SegmentationSettingsTest, SegmentUsesTheRecordedSettingsUnlessGiven) {
  const Shape size{6, 32, 32};
  const data::EmVolume v = data::make_em_volume({.size = size, .cell_size = 10});
  const std::string recorded = R"({"boundary_threshold":0.3,"seed_height":2,"threshold":0.15})";
  const std::string aff = write_affinities(
      path("aff.h5") + ":aff", v, size,
      {{"offsets", "[[-1,0,0],[0,-1,0],[0,0,-1]]"}, {"segmentation_settings", recorded}});
  AffinitySegmentation s;
  s.affinities = aff, s.output = path("seg.h5") + ":seg";
  const SegmentationReport model_choice = segment_affinities(s);
  ASSERT_EQ(model_choice.used.thresholds, std::vector<double>{0.15});
  EXPECT_FLOAT_EQ(model_choice.used.watershed.threshold, 0.3f);
  EXPECT_DOUBLE_EQ(model_choice.used.watershed.seed_height, 2.0);
  EXPECT_HAS(model_choice.settings_source, "threshold chosen by train");

  s.settings.thresholds = {0.85};
  s.settings.seed_height = 1.0;
  s.output = path("given.h5") + ":seg";
  const SegmentationReport given = segment_affinities(s);
  EXPECT_EQ(given.used.thresholds, std::vector<double>{0.85});
  EXPECT_FLOAT_EQ(given.used.watershed.threshold, 0.3f);  // still the recorded one
  EXPECT_DOUBLE_EQ(given.used.watershed.seed_height, 1.0);
  EXPECT_HAS(given.settings_source, "threshold given, boundary threshold chosen by train");
  EXPECT_GT(given.volume.segments[0], model_choice.volume.segments[0]);  // fewer merges

  // Without recorded settings: the defaults.
  const std::string bare = write_affinities(path("bare.h5") + ":aff", v, size, {});
  s.affinities = bare, s.settings = {}, s.output = path("bare_seg.h5") + ":seg";
  const SegmentationReport defaults = segment_affinities(s);
  EXPECT_EQ(defaults.used.thresholds, std::vector<double>{SegmentationSettings{}.threshold});
  EXPECT_HAS(defaults.settings_source, "threshold default");

  // Offsets that do not start with the nearest neighbours are refused.
  s.affinities = write_affinities(path("odd.h5") + ":aff", v, size,
                                  {{"offsets", "[[0,-1,0],[-1,0,0],[0,0,-1]]"}});
  EXPECT_HAS(error_of([&] { segment_affinities(s); }), "do not start with the nearest neighbours");
  s.affinities = write_affinities(path("bad.h5") + ":aff", v, size,
                                  {{"segmentation_settings", R"({"threshold":2})"}});
  EXPECT_HAS(error_of([&] { segment_affinities(s); }), "segmentation settings lack");
}

TEST_F(SegmentationSettingsTest, TrainChoosesAndStoresSettingsThatPredictRecordsAndRunUses) {
  const data::EmVolumeFiles volume{
      path("raw.h5") + ":raw", path("ids.h5") + ":ids", {.size = {10, 32, 32}, .cell_size = 12}};
  data::write_em_volume(volume);
  auto comm = make_communicator("local");
  std::ostringstream log;
  // Field by field: GCC 12 warns wrongly about the std::function members of a designated
  // initialiser here.
  AffinityTraining t;
  t.raw = volume.raw, t.labels = volume.labels, t.output = path("aff.h5"), t.log = &log;
  t.train.patch = {4, 16, 16}, t.train.steps = 2, t.train.channels = {2, 4};
  t.grid.boundary_thresholds = {0.5f};
  t.grid.seed_heights = {1.0, 2.0};
  const TrainingReport r = train_affinities(t, *comm);
  EXPECT_EQ(r.held_out, "z slices 8..9");
  EXPECT_HAS(log.str(), "for affinities on [8,32,32]");
  EXPECT_HAS(log.str(), "held out to choose the segmentation settings: z slices 8..9");
  ASSERT_TRUE(r.chosen.has_value());
  const SegmentationSettings chosen = r.chosen->settings;

  const AffinityModel m = load_affinity_model(path("aff.h5"));
  ASSERT_TRUE(m.segmentation.has_value());
  EXPECT_EQ(to_json(*m.segmentation), to_json(chosen));

  AffinitySegmentation s;
  s.output = path("seg.h5") + ":seg";
  const PipelineReport run =
      predict_and_segment({.model = path("aff.h5"), .raw = volume.raw, .progress = false}, s);
  const VolumeInfo info = open_volume(run.prediction.output)->info();
  EXPECT_EQ(nlohmann::json::parse(info.attributes.at("offsets")),
            nlohmann::json::parse(
                "[[-1,0,0],[0,-1,0],[0,0,-1],[-3,0,0],[0,-4,0],[0,0,-4],[0,-9,0],[0,0,-9]]"));
  EXPECT_EQ(nlohmann::json::parse(info.attributes.at("segmentation_settings")), to_json(chosen));
  EXPECT_EQ(run.segmentation.used.thresholds, std::vector<double>{chosen.threshold});
  EXPECT_EQ(run.segmentation.used.watershed.seed_height, chosen.watershed.seed_height);

  // No hold-out: the model keeps the defaults and says so.
  t.held_out.fraction = 0;
  t.output = path("plain.h5");
  EXPECT_FALSE(train_affinities(t, *comm).chosen.has_value());
  EXPECT_FALSE(load_affinity_model(path("plain.h5")).segmentation.has_value());
}

TEST_F(SegmentationSettingsTest, EvaluateWritesAThresholdSweepBesideTheScores) {
  const Shape size{6, 32, 32};
  const data::EmVolume v = data::make_em_volume({.size = size, .cell_size = 10});
  write_labels(path("ids.h5") + ":ids", {size, v.ids, {}});
  const std::string aff = write_affinities(path("aff.h5") + ":aff", v, size, {});
  const EvaluationReport r = evaluate_files(
      {.truth = path("ids.h5") + ":ids", .affinities = aff, .output = path("scores.json")});
  EXPECT_EQ(r.sweep.size(), sweep_thresholds().size());
  EXPECT_EQ(r.sweep_csv, path("scores_sweep.csv"));
  std::ifstream csv(r.sweep_csv);
  std::string header, row;
  std::getline(csv, header);
  EXPECT_EQ(header,
            "boundary_threshold,seed_height,threshold,segments,voi_split,voi_merge,voi,"
            "adapted_rand_error,cremi_score");
  int rows = 0;
  while (std::getline(csv, row)) ++rows;
  EXPECT_EQ(rows, 19);
  EXPECT_TRUE(r.scores.contains("best_threshold"));
  EXPECT_TRUE(fs::exists(path("scores.json")));
  EXPECT_EQ(setting_of([&] { evaluate_files({.truth = path("ids.h5") + ":ids"}); }),
            "segmentation");
}

// An HDF5 dataset of `dims` (contiguous: HDF5 chunks cannot be empty).
std::string write_empty(const std::string& file, const std::vector<hsize_t>& dims) {
  H5::H5File f(file, H5F_ACC_TRUNC);
  f.createDataSet("v", H5::PredType::NATIVE_FLOAT, H5::DataSpace(int(dims.size()), dims.data()));
  return file + ":v";
}

// Before: segment divided by the empty plane (SIGFPE).
TEST_F(SegmentationSettingsTest, AVolumeWithAZeroLengthAxisIsAnError) {
  const std::string raw = write_empty(path("raw.h5"), {0, 16, 16});
  const std::string aff = write_empty(path("aff.h5"), {3, 8, 0, 16});
  EXPECT_HAS(error_of([&] { read_raw(raw); }), "axes of at least 1 voxel");
  EXPECT_HAS(error_of([&] { read_labels(raw); }), "axes of at least 1 voxel");
  AffinitySegmentation s;
  s.affinities = aff, s.output = path("seg.h5") + ":seg";
  EXPECT_HAS(error_of([&] { segment_affinities(s); }), "axes of at least 1 voxel");
  EXPECT_FALSE(fs::exists(path("seg.h5")));
}

}  // namespace
}  // namespace tessera::connectomics
