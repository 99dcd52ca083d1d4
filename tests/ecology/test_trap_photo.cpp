// The synthetic trap photographs and the threshold baseline on them.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "tessera/data/trap_photo.hpp"
#include "tessera/ecology/detection_metrics.hpp"
#include "tessera/ecology/threshold_detector.hpp"

namespace tessera {
namespace {

TEST(TrapPhoto, BoxesLieOnTheImageAndTheSeedFixesIt) {
  const data::TrapPhoto p = data::make_trap_photo({.width = 400, .height = 300, .insects = 25});
  EXPECT_EQ(p.image.cols, 400);
  EXPECT_EQ(p.image.rows, 300);
  ASSERT_EQ(p.insects.size(), 25u);
  for (const ecology::Annotation& a : p.insects) {
    EXPECT_GE(a.box.x, 0);
    EXPECT_GE(a.box.y, 0);
    EXPECT_LE(a.box.x + a.box.width, 400);
    EXPECT_LE(a.box.y + a.box.height, 300);
    EXPECT_GE(a.category_id, 0);
    EXPECT_LE(a.category_id, 2);
    // An insect is darker than the trap around it.
    const cv::Rect r(int(a.box.x), int(a.box.y), int(a.box.width), int(a.box.height));
    EXPECT_LT(cv::mean(p.image(r))[1], 200) << r;
  }
  const data::TrapPhoto same = data::make_trap_photo({.width = 400, .height = 300, .insects = 25});
  EXPECT_EQ(cv::norm(p.image, same.image, cv::NORM_INF), 0);
  const data::TrapPhoto other =
      data::make_trap_photo({.width = 400, .height = 300, .insects = 25, .seed = 1});
  EXPECT_GT(cv::norm(p.image, other.image, cv::NORM_INF), 0);
}

TEST(ThresholdBaseline, FindsWinglessInsectsOnTheTrap) {
  // Beetles have no wings, so the dark body is the whole box.
  const data::TrapPhoto p = data::make_trap_photo(
      {.width = 600, .height = 400, .insects = 30, .min_size = 16, .categories = {2}, .seed = 3});
  ecology::Dataset truth{{{0, "t.png", 600, 400}}, {{2, "beetle"}}, p.insects};
  const ecology::DetectionScores s = ecology::score_detections(
      truth, ecology::threshold_detections(p.image, 0, {.min_area = 40, .category = 2}), 0);
  EXPECT_GT(s.recall, 0.9);
  EXPECT_GT(s.precision, 0.9);
}

TEST(ThresholdBaseline, IgnoresDarkThingsOffTheTrap) {
  cv::Mat image(200, 400, CV_8UC3, cv::Scalar(235, 235, 235));        // white bench
  image(cv::Rect(200, 0, 200, 200)).setTo(cv::Scalar(40, 215, 235));  // yellow trap
  for (int x : {50, 300}) cv::circle(image, {x, 100}, 12, cv::Scalar(30, 30, 30), cv::FILLED);
  const std::vector<ecology::Annotation> found = ecology::threshold_detections(image, 0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NEAR(found[0].box.x + found[0].box.width / 2, 300, 1.5);
}

}  // namespace
}  // namespace tessera
