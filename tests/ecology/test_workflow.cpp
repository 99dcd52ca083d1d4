// The folder workflows end to end on generated trap photographs: a folder as synth writes it,
// read as COCO and as YOLO; a tiny detector trained from it; detect, count and evaluate on it;
// and bad settings named by their fields.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/data/trap_photo_folder.hpp"
#include "tessera/ecology/workflow.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::ecology {
namespace {

namespace fs = std::filesystem;
using tessera::testing::error_of;
using tessera::testing::setting_of;
using EcologyWorkflowTest = tessera::testing::TempDirTest;

data::TrapPhotoFolder small_folder(const std::string& folder) {
  return {.folder = folder,
          .photos = 4,
          .width = 128,
          .height = 96,
          .insects = 5,
          .insect_size = {14, 20},
          .kinds = {"fly", "beetle"},
          .seed = 3};
}

TEST_F(EcologyWorkflowTest, SynthFolderReadsBackAsCocoAndAsYolo) {
  const Dataset written = data::write_trap_photo_folder(small_folder(path("photos")));
  ASSERT_EQ(written.images.size(), 4u);
  EXPECT_EQ(written.annotations.size(), 20u);
  EXPECT_EQ(written.images[3].file_name, "trapB_20240702_0300.jpg");

  const Dataset coco = read_annotations(path("photos/annotations.json"), path("photos"));
  const Dataset yolo = read_annotations(path("photos/labels"), path("photos"));
  EXPECT_EQ(coco.annotations.size(), 20u);
  EXPECT_EQ(yolo.annotations.size(), 20u);
  ASSERT_EQ(yolo.images.size(), 4u);
  EXPECT_EQ(yolo.images[0].width, 128);  // from the photo itself

  // Without annotations: every photo, in name order, ids from 1, sizes unknown.
  const std::vector<ImageInfo> all = photo_list(path("photos"), "");
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].id, 1);
  EXPECT_EQ(all[0].file_name, "trapA_20240701_2200.jpg");
  EXPECT_EQ(all[0].width, 0);
  EXPECT_HAS(error_of([&] { read_annotations(path("nope.json"), path("photos")); }),
             "nope.json: no such file");
}

TEST_F(EcologyWorkflowTest, BadSettingsAreNamedByTheirFields) {
  data::TrapPhotoFolder f = small_folder(path("x"));
  f.kinds = {"wasp"};
  EXPECT_EQ(setting_of([&] { data::write_trap_photo_folder(f); }), "kinds");
  f = small_folder(path("x"));
  f.insect_size = {30, 20};
  EXPECT_EQ(setting_of([&] { data::write_trap_photo_folder(f); }), "insect_size");

  data::write_trap_photo_folder(small_folder(path("photos")));
  // Checked before the model is read: none is needed to refuse it.
  FolderDetection into_the_photos;
  into_the_photos.detection.model = path("none.h5");
  into_the_photos.detection.images = path("photos");
  into_the_photos.output = path("photos/found");
  EXPECT_EQ(setting_of([&] { detect_folder(into_the_photos); }), "output");
  EXPECT_FALSE(fs::exists(path("photos/found")));
}

TEST_F(EcologyWorkflowTest, TrainDetectCountAndEvaluateAFolder) {
  data::write_trap_photo_folder(small_folder(path("photos")));
  std::ostringstream log;
  const Detector d = train_from_folder(
      {.images = path("photos"),
       .annotations = path("photos/annotations.json"),
       .output = path("m.h5"),
       .train = {.patch = 32, .batch = 2, .steps = 2, .channels = {4, 8}, .calibration_photos = 1},
       .log = &log});
  EXPECT_EQ(d.categories.size(), 2u);
  EXPECT_HAS(log.str(), "reading 4 photos with 20 boxes in 2 categories\n");
  EXPECT_HAS(log.str(), "training a centre-heatmap U-Net (channels [4,8]) with adam, 2 steps");
  EXPECT_HAS(log.str(), "  step 1  loss ");

  std::ostringstream per_photo;
  const PhotoDetection detection{
      .model = path("m.h5"), .images = path("photos"), .score_threshold = 0.0, .log = &per_photo};
  const FolderDetectionReport r = detect_folder({.detection = detection, .output = path("found")});
  EXPECT_EQ(r.photos, 4u);
  EXPECT_HAS(per_photo.str(), "  trapB_20240702_0300.jpg: ");
  for (const char* file : {"detections.json", "detections.csv", "photos.json", "annotated"})
    EXPECT_TRUE(fs::exists(path("found") + "/" + file)) << file;
  EXPECT_TRUE(fs::exists(path("found/annotated/trapA_20240701_2200.jpg")));

  PhotoDetection from_run = detection;
  from_run.model.clear();
  const CountReport c = count_photos({.detection = from_run,
                                      .detections = path("found"),
                                      .output = path("counts"),
                                      .name_pattern = "trap{trap}_{yyyy}{mm}{dd}_{HH}{MM}"});
  EXPECT_EQ(c.photos, 4u);
  EXPECT_DOUBLE_EQ(c.score_threshold, 0.0);
  EXPECT_EQ(c.per_night.size(), 4u);  // 1 night x 2 traps x 2 kinds
  EXPECT_TRUE(fs::exists(path("counts/counts_per_image.csv")));
  EXPECT_TRUE(fs::exists(path("counts/counts_per_night.csv")));

  from_run.annotations = path("photos/annotations.json");
  const nlohmann::json scores = score_photos({.detection = from_run,
                                              .detections = path("found/detections.json"),
                                              .output = path("scores.json")});
  EXPECT_TRUE(scores.contains("map50"));
  EXPECT_TRUE(fs::exists(path("scores.json")));
}

}  // namespace
}  // namespace tessera::ecology
