// Counts per image and per night and trap, worked out by hand, and their CSV.
#include <gtest/gtest.h>

#include "tessera/ecology/counts.hpp"

namespace tessera::ecology {
namespace {

CaptureInfo trap_at(const std::string& trap, int y, int mo, int d, int h) {
  return {.trap = trap, .time = CaptureTime{.year = y, .month = mo, .day = d, .hour = h}};
}

Annotation det(int64_t image, int64_t category, double score) {
  return {.image_id = image, .category_id = category, .box = {0, 0, 4, 4}, .score = score};
}

// Photos: north at 22:00 and 03:00 the next morning (one night), north the following evening,
// south the first evening, and one without a time.
struct NightCounts : ::testing::Test {
  std::vector<ImageInfo> images = {{1, "n1.jpg", 10, 10},
                                   {2, "n2.jpg", 10, 10},
                                   {3, "n3.jpg", 10, 10},
                                   {4, "s1.jpg", 10, 10},
                                   {5, "x.jpg", 10, 10}};
  std::vector<Category> categories = {{7, "moth"}, {3, "fly"}};
  std::vector<CaptureInfo> captures = {trap_at("north", 2024, 7, 1, 22),
                                       trap_at("north", 2024, 7, 2, 3),
                                       trap_at("north", 2024, 7, 2, 21),
                                       trap_at("south", 2024, 7, 1, 23),
                                       {.trap = "south", .time = std::nullopt}};
  std::vector<Annotation> detections = {det(1, 7, 0.9), det(1, 7, 0.5), det(1, 3, 0.49),
                                        det(2, 7, 0.8), det(2, 3, 0.7), det(3, 3, 0.95),
                                        det(4, 7, 0.6), det(5, 7, 0.99)};
};

TEST_F(NightCounts, CountPerImageHasEveryImageAndCategory) {
  const auto rows = count_per_image(images, categories, captures, detections, 0.5);
  ASSERT_EQ(rows.size(), 10u);
  const auto expect = [&](size_t i, const char* image, const char* trap, const char* night,
                          const char* category, int64_t count) {
    EXPECT_EQ(rows[i].image, image) << i;
    EXPECT_EQ(rows[i].trap, trap) << i;
    EXPECT_EQ(rows[i].night, night) << i;
    EXPECT_EQ(rows[i].category, category) << i;
    EXPECT_EQ(rows[i].count, count) << i;
  };
  expect(0, "n1.jpg", "north", "2024-07-01", "moth", 2);  // 0.5 is at the threshold: counted
  expect(1, "n1.jpg", "north", "2024-07-01", "fly", 0);   // 0.49 is below
  expect(2, "n2.jpg", "north", "2024-07-01", "moth", 1);
  expect(3, "n2.jpg", "north", "2024-07-01", "fly", 1);
  expect(4, "n3.jpg", "north", "2024-07-02", "moth", 0);
  expect(5, "n3.jpg", "north", "2024-07-02", "fly", 1);
  expect(6, "s1.jpg", "south", "2024-07-01", "moth", 1);
  expect(7, "s1.jpg", "south", "2024-07-01", "fly", 0);
  expect(8, "x.jpg", "south", "", "moth", 1);
  expect(9, "x.jpg", "south", "", "fly", 0);
  EXPECT_EQ(count_per_image(images, categories, captures, detections, 0.95)[5].count, 1);
  EXPECT_EQ(count_per_image(images, categories, captures, detections, 0.951)[5].count, 0);
}

TEST_F(NightCounts, CountPerNightSumsOneNightOfOneTrap) {
  const auto rows = count_per_night(count_per_image(images, categories, captures, detections, 0.5));
  ASSERT_EQ(rows.size(), 6u);  // x.jpg has no time and is left out
  const auto expect = [&](size_t i, const char* night, const char* trap, const char* category,
                          int64_t count, int64_t photos) {
    EXPECT_EQ(rows[i].night, night) << i;
    EXPECT_EQ(rows[i].trap, trap) << i;
    EXPECT_EQ(rows[i].category, category) << i;
    EXPECT_EQ(rows[i].count, count) << i;
    EXPECT_EQ(rows[i].images, photos) << i;
  };
  expect(0, "2024-07-01", "north", "fly", 1, 2);
  expect(1, "2024-07-01", "north", "moth", 3, 2);
  expect(2, "2024-07-01", "south", "fly", 0, 1);
  expect(3, "2024-07-01", "south", "moth", 1, 1);
  expect(4, "2024-07-02", "north", "fly", 1, 1);
  expect(5, "2024-07-02", "north", "moth", 0, 1);
}

TEST_F(NightCounts, RejectsMismatchedInputs) {
  captures.pop_back();
  EXPECT_THROW(count_per_image(images, categories, captures, detections, 0.5),
               std::invalid_argument);
  captures.push_back({});
  detections.push_back(det(9, 7, 1));
  EXPECT_THROW(count_per_image(images, categories, captures, detections, 0.5),
               std::invalid_argument);
  detections.back() = det(1, 9, 1);
  EXPECT_THROW(count_per_image(images, categories, captures, detections, 0.5),
               std::invalid_argument);
}

TEST(CountCsv, HeadersAndQuoting) {
  const std::vector<ImageCount> per_image = {
      {.image = "a, b.jpg", .trap = "say \"hi\"", .night = "", .category = "moth", .count = 3},
      {.image = "c.jpg", .trap = "t", .night = "2024-07-01", .category = "fly", .count = 0}};
  EXPECT_EQ(to_csv(per_image),
            "image,trap,night,category,count\n"
            "\"a, b.jpg\",\"say \"\"hi\"\"\",,moth,3\n"
            "c.jpg,t,2024-07-01,fly,0\n");
  const std::vector<NightCount> per_night = {
      {.night = "2024-07-01", .trap = "n", .category = "line\nbreak", .count = 4, .images = 2}};
  EXPECT_EQ(to_csv(per_night),
            "night,trap,category,count,images\n"
            "2024-07-01,n,\"line\nbreak\",4,2\n");
  EXPECT_EQ(to_csv(std::vector<NightCount>{}), "night,trap,category,count,images\n");
}

}  // namespace
}  // namespace tessera::ecology
