// The insect detector end to end on generated trap photographs: it learns, the tiled run gives
// the whole-photo run's boxes, a reloaded model detects the same, and the files detect writes
// read back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/data/trap_photo.hpp"
#include "tessera/ecology/detection_files.hpp"
#include "tessera/ecology/detection_metrics.hpp"
#include "tessera/ecology/detector.hpp"
#include "tessera/ecology/photos.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/model/unet.hpp"

namespace tessera::ecology {
namespace {

using tessera::testing::error_of;
using tessera::testing::TempDirTest;

data::TrapPhoto photo(uint64_t seed) {
  return data::make_trap_photo({.width = 256,
                                .height = 192,
                                .insects = 12,
                                .min_size = 14,
                                .max_size = 24,
                                .categories = {2},
                                .seed = seed});
}

TrainingPhoto training_photo(const data::TrapPhoto& p) {
  TrainingPhoto t{p.image, {}};
  for (const Annotation& a : p.insects)
    t.boxes.push_back(
        {a.box.x + a.box.width / 2, a.box.y + a.box.height / 2, a.box.width, a.box.height, 0});
  return t;
}

// One small detector shared by the tests (training is the slow part).
Detector& trained() {
  static Detector d = [] {
    std::vector<TrainingPhoto> photos;
    for (uint64_t s = 0; s < 4; ++s) photos.push_back(training_photo(photo(s)));
    return train_detector(photos, {{2, "beetle"}},
                          {.patch = 64,
                           .batch = 4,
                           .steps = 600,
                           .channels = {8, 16, 32},
                           .lr = 3e-3,
                           .calibration_photos = 2,
                           .seed = 1});
  }();
  return d;
}

TEST(Detector, LearnsToFindInsectsOnUnseenPhotos) {
  Detector& d = trained();
  Dataset truth{{{1, "p.jpg", 256, 192}}, {{2, "beetle"}}, {}};
  const data::TrapPhoto p = photo(100);
  for (Annotation a : p.insects) {
    a.image_id = 1;
    truth.annotations.push_back(a);
  }
  const auto boxes = detect_photo(d, p.image, 1);
  for (const Annotation& b : boxes) EXPECT_EQ(b.category_id, 2);
  const DetectionScores s = score_detections(truth, boxes, d.score_threshold);
  EXPECT_GT(s.map50, 0.8);
  EXPECT_LT(s.count_relative_error, 0.25);
  EXPECT_GT(d.score_threshold, 0.05);
}

TEST(Detector, TiledDetectionEqualsWholePhoto) {
  Detector& d = trained();
  // Tiles of 32 rows and columns cut through many insects; the executor is exact, so the
  // boxes are those of one pass over the whole photo.
  const data::TrapPhoto p = photo(200);
  const auto whole = detect_photo(d, p.image, 1, {.decode = {}, .tile = {}, .whole = true});
  const auto tiled = detect_photo(d, p.image, 1, {.decode = {}, .tile = {.tile = {32, 32}}});
  ASSERT_GT(whole.size(), 5u);
  ASSERT_EQ(tiled.size(), whole.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_NEAR(tiled[i].box.x, whole[i].box.x, 1e-3);
    EXPECT_NEAR(tiled[i].box.y, whole[i].box.y, 1e-3);
    EXPECT_NEAR(tiled[i].box.width, whole[i].box.width, 1e-3);
    EXPECT_NEAR(tiled[i].score, whole[i].score, 1e-5);
  }
}

class DetectorFiles : public TempDirTest {};

// A checkpoint claiming to be a detector whose stored settings do not fit its network (the
// network here has 3 classes, the categories say 1: `detect --whole` read past them).
TEST_F(DetectorFiles, CheckpointsThatDoNotFitTheirNetworkAreRefused) {
  const auto write = [&](const nlohmann::json& edits) {
    auto unet = make_unet({.dims = 2, .in_channels = 3, .out_channels = 5, .channels = {4, 8}});
    nlohmann::json m = {{"task", "ecology_detector"},
                        {"categories",
                         {{{"id", 1}, {"name", "moth"}},
                          {{"id", 2}, {"name", "fly"}},
                          {{"id", 3}, {"name", "beetle"}}}},
                        {"bgr_mean", {100, 100, 100}},
                        {"bgr_sd", {50, 50, 50}},
                        {"score_threshold", 0.5}};
    m.update(edits);
    save_checkpoint(path("d.h5"), *unet, nullptr, 1, m);
    return path("d.h5");
  };
  EXPECT_EQ(load_detector(write(nlohmann::json::object())).categories.size(), 3u);
  EXPECT_HAS(error_of([&] {
               load_detector(write({{"categories", {{{"id", 1}, {"name", "m"}}}}}));
             }),
             "categories: names 1 categories but the network gives 5 output channels");
  EXPECT_HAS(error_of([&] {
               load_detector(write({{"categories", nlohmann::json::array()}}));
             }),
             "names no category");
  EXPECT_HAS(error_of([&] {
               load_detector(write({{"categories",
                                     {{{"id", 1}, {"name", "m"}},
                                      {{"id", 1}, {"name", "n"}},
                                      {{"id", 2}, {"name", "o"}}}}}));
             }),
             "appears twice");
  EXPECT_HAS(error_of([&] { load_detector(write({{"categories", "moth"}})); }), "categories");
  EXPECT_HAS(error_of([&] { load_detector(write({{"bgr_sd", {50, 0, 50}}})); }), "bgr_sd");
  EXPECT_HAS(error_of([&] {
               load_detector(write({{"score_threshold", 7}}));
             }),
             "score_threshold: must be in [0, 1]");
  nlohmann::json no_threshold = {{"score_threshold", nullptr}};
  EXPECT_HAS(error_of([&] { load_detector(write(no_threshold)); }), "score_threshold: missing");
  EXPECT_HAS(error_of([&] { load_detector(write({{"task", 3}})); }), "is not an insect detector");
}

TEST_F(DetectorFiles, ReloadedModelDetectsTheSame) {
  Detector& d = trained();
  save_detector(path("m.h5"), d);
  Detector back = load_detector(path("m.h5"));
  EXPECT_EQ(back.score_threshold, d.score_threshold);
  EXPECT_EQ(back.categories.size(), 1u);
  EXPECT_EQ(back.categories[0].name, "beetle");
  const data::TrapPhoto p = photo(300);
  const auto a = detect_photo(d, p.image, 1), b = detect_photo(back, p.image, 1);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].score, b[i].score);
}

TEST_F(DetectorFiles, DetectionCsvAndPhotoListReadBack) {
  const std::vector<ImageInfo> images = {{4, "night 1/a,b.jpg", 10, 12}, {9, "c.jpg", 10, 10}};
  const std::vector<Category> categories = {{1, "moth"}, {3, "fly \"big\""}};
  const std::vector<Annotation> dets = {
      {.image_id = 4, .category_id = 3, .box = {1.25, 2, 3, 4}, .score = 0.875},
      {.image_id = 9, .category_id = 1, .box = {1, 1, 2, 2}, .score = 0.25}};
  // Only the boxes counted (score >= the threshold), so the rows agree with the counts.
  EXPECT_EQ(detections_csv(images, categories, dets, 0.5),
            "file,image_id,category_id,category,score,x,y,width,height\n"
            "\"night 1/a,b.jpg\",4,3,\"fly \"\"big\"\"\",0.875,1.25,2,3,4\n");

  std::ofstream(path("photos.json")) << detection_photos_json({{images, categories, {}}, 0.375});
  const DetectionPhotos back = read_detection_photos(path("photos.json"));
  EXPECT_EQ(back.score_threshold, 0.375);
  ASSERT_EQ(back.photos.images.size(), 2u);  // the photo without detections too
  EXPECT_EQ(back.photos.images[0].file_name, "night 1/a,b.jpg");
  EXPECT_EQ(back.photos.images[0].height, 12);
  ASSERT_EQ(back.photos.categories.size(), 2u);
  EXPECT_EQ(back.photos.categories[1].name, "fly \"big\"");

  std::ofstream(path("plain.json")) << "{\"images\": [], \"categories\": []}";
  EXPECT_HAS(error_of([&] { read_detection_photos(path("plain.json")); }),
             "plain.json: no score_threshold in [0, 1]");
}

TEST_F(DetectorFiles, PhotosInNaturalOrderLinkedPhotosKeepTheirNames) {
  namespace fs = std::filesystem;
  const cv::Mat img(8, 8, CV_8UC3, cv::Scalar(0, 200, 200));
  fs::create_directories(path("elsewhere"));
  fs::create_directories(path("night/trap2"));
  cv::imwrite(path("elsewhere/x.jpg"), img);
  cv::imwrite(path("night/img10.png"), img);
  cv::imwrite(path("night/img2.png"), img);
  cv::imwrite(path("night/trap2/a.JPG"), img);
  std::ofstream(path("night/notes.txt")) << "not a photo";
  fs::create_symlink(path("elsewhere/x.jpg"), path("night/linked.jpg"));
  EXPECT_EQ(list_photos(path("night")),
            (std::vector<std::string>{"img2.png", "img10.png", "linked.jpg", "trap2/a.JPG"}));
  EXPECT_HAS(error_of([&] { list_photos(path("elsewhere/none")); }), "no such folder of photos");
  EXPECT_HAS(error_of([&] { list_photos(path("night/trap2/../../night2")); }), "no such folder");
}

TEST(Detector, CountThresholdReproducesTheTrueCounts) {
  // Image 1 has 2 insects, image 2 has 1; scores 0.9 0.6 0.3 on image 1 and 0.7 0.2 on image 2.
  Dataset truth{{{1, "a", 1, 1}, {2, "b", 1, 1}}, {{0, "x"}}, {}};
  for (int64_t img : {1, 1, 2}) truth.annotations.push_back({.image_id = img, .box = {0, 0, 1, 1}});
  std::vector<Annotation> dets;
  for (auto [img, s] :
       std::vector<std::pair<int64_t, double>>{{1, .9}, {1, .6}, {1, .3}, {2, .7}, {2, .2}})
    dets.push_back({.image_id = img, .box = {0, 0, 1, 1}, .score = s});
  // Exact counts for thresholds in (0.3, 0.6]; the highest is chosen.
  EXPECT_DOUBLE_EQ(count_threshold(truth, dets), 0.6);
}

TEST(Detector, RefusesBadTrainingInput) {
  EXPECT_HAS(error_of([] { train_detector({}, {{0, "x"}}, {}); }), "no training photos");
  const TrainingPhoto tiny{cv::Mat(4, 4, CV_8UC3, cv::Scalar(0, 200, 200)), {}};
  EXPECT_HAS(error_of([&] {
               train_detector({tiny}, {{0, "x"}}, {.steps = 1});
             }),
             "patch: photo  (4x4) is smaller than the 256 px training crops; lower it");
  EXPECT_HAS(error_of([&] {
               train_detector({tiny}, {{0, "x"}}, {.patch = 100, .steps = 1});
             }),
             "patch: 100 must be a multiple of 8 for 4 levels");
  const TrainingPhoto grey{cv::Mat(300, 300, CV_8UC1, cv::Scalar(0)), {}};
  EXPECT_HAS(error_of([&] {
               train_detector({grey}, {{0, "x"}}, {.steps = 1});
             }),
             "8-bit with 3 channels");
}

}  // namespace
}  // namespace tessera::ecology
