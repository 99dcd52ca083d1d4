// Scoring detections read back from files: a detect run's detections are joined to the truth by
// file name (detect numbers photos its own way), so detections equal to the truth score 1
// whatever the ids; an ambiguous join is refused; the figures are written beside the scores.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/ecology/detection_files.hpp"
#include "tessera/ecology/workflow.hpp"
#include "tessera/formats/csv_table.hpp"

namespace tessera::ecology {
namespace {

namespace fs = std::filesystem;
using tessera::testing::error_of;

class Scoring : public tessera::testing::TempDirTest {
 protected:
  // Truth with image ids 10 and 20; detect's run with its own ids and order for the same photos.
  void SetUp() override {
    TempDirTest::SetUp();
    truth_ = {
        {{10, "night1/a.jpg", 100, 80}, {20, "night1/b.jpg", 100, 80}},
        {{5, "moth"}, {6, "fly"}},
        {{10, 5, {10, 10, 20, 20}, 1}, {10, 6, {50, 40, 10, 12}, 1}, {20, 5, {0, 0, 30, 30}, 1}}};
    write_coco(path("truth.json"), truth_);
    fs::create_directories(path("run"));
    fs::create_directories(path("out"));
  }
  // detect's output folder for `run_photos`, with detections equal to the truth's boxes.
  void write_run(const std::vector<ImageInfo>& run_photos, std::map<int64_t, int64_t> run_id) {
    std::vector<Annotation> found;
    for (Annotation a : truth_.annotations) {
      a.image_id = run_id.at(a.image_id);
      a.score = 0.9;
      found.push_back(a);
    }
    write_coco_results(path("run/detections.json"), found);
    std::ofstream(path("run/photos.json"))
        << detection_photos_json({{run_photos, truth_.categories, {}}, 0.5});
  }
  nlohmann::json score(const std::string& output = "") {
    DetectionScoring s;
    s.detection.images = path("photos");
    s.detection.annotations = path("truth.json");
    s.detections = path("run/detections.json");
    s.output = output;
    return score_photos(s);
  }
  Dataset truth_;
};

TEST_F(Scoring, DetectionsEqualToTheTruthScoreOneWhateverTheIds) {
  // detect ran on the folder above, numbering b before a.
  write_run({{1, "x/night1/b.jpg", 100, 80},
             {2, "x/night1/a.jpg", 100, 80},
             {3, "x/night2/c.jpg", 100, 80}},
            {{10, 2}, {20, 1}});
  const nlohmann::json s = score(path("out/scores.json"));
  EXPECT_DOUBLE_EQ(s["map50"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["map50_95"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["precision"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["recall"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["count_mae"].get<double>(), 0.0);
}

TEST_F(Scoring, FiguresAreWrittenBesideTheScores) {
  write_run({{1, "night1/b.jpg", 100, 80}, {2, "night1/a.jpg", 100, 80}}, {{10, 2}, {20, 1}});
  fs::create_directories(path("out"));
  score(path("out/scores.json"));
  EXPECT_EQ(score_outputs(path("out/scores.json")),
            (std::vector<std::string>{path("out/scores.json"), path("out/scores_per_category.csv"),
                                      path("out/scores_pr_curve.png")}));
  for (const std::string& f : score_outputs(path("out/scores.json")))
    EXPECT_GT(fs::file_size(f), 100u) << f;
  const formats::CsvTable t = formats::read_csv_table(path("out/scores_per_category.csv"));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].cells[size_t(t.column({"category"}))], "moth");
  EXPECT_EQ(t.rows[0].cells[size_t(t.column({"truth"}))], "2");
  EXPECT_EQ(t.rows[0].cells[size_t(t.column({"true_positives"}))], "2");
  EXPECT_EQ(t.rows[1].cells[size_t(t.column({"ap50"}))], "1");
}

TEST_F(Scoring, AmbiguousOrMissingPhotosAreRefused) {
  // Two run photos end like the truth's "night1/a.jpg".
  write_run({{1, "t1/night1/a.jpg", 100, 80},
             {2, "t2/night1/a.jpg", 100, 80},
             {3, "night1/b.jpg", 100, 80}},
            {{10, 1}, {20, 3}});
  EXPECT_HAS(error_of([&] { score(); }), "night1/a.jpg could be any of t1/night1/a.jpg and ");
  // The run did not cover an annotated photo: its boxes would all count as missed.
  write_run({{1, "night1/a.jpg", 100, 80}}, {{10, 1}, {20, 1}});
  EXPECT_HAS(error_of([&] { score(); }),
             "the annotated photo night1/b.jpg is not among the photos detect ran on");
  // Without photos.json the ids must be the truth's.
  fs::remove(path("run/photos.json"));
  EXPECT_HAS(error_of([&] { score(); }), "a detection is on image id 1, which the annotations");
  write_coco_results(path("run/detections.json"), truth_.annotations);
  EXPECT_DOUBLE_EQ(score()["map50"].get<double>(), 1.0);
}

TEST(JoinByFileName, TwoTruthPhotosOnOneRunPhotoAreRefused) {
  const std::vector<ImageInfo> run = {{1, "a.jpg", 1, 1}};
  const std::vector<ImageInfo> truth = {{1, "n1/a.jpg", 1, 1}, {2, "n2/a.jpg", 1, 1}};
  EXPECT_HAS(error_of([&] { join_by_file_name({}, run, truth, "d.json"); }),
             "d.json: the annotated photos n1/a.jpg and n2/a.jpg both match a.jpg");
  // An exact name wins over one that only ends alike.
  const std::vector<ImageInfo> run2 = {{1, "a.jpg", 1, 1}, {2, "n1/a.jpg", 1, 1}};
  const auto joined =
      join_by_file_name({{2, 0, {0, 0, 1, 1}, 1}, {1, 0, {0, 0, 1, 1}, 1}}, run2, {truth[0]}, "d");
  ASSERT_EQ(joined.size(), 1u);  // the detection on a.jpg, not annotated, is left out
  EXPECT_EQ(joined[0].image_id, 1);
}

}  // namespace
}  // namespace tessera::ecology
