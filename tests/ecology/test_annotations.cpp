// COCO and YOLO annotations: round trips, the shared sticky-trap file, and clear errors for
// every way an annotation file can be wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/ecology/annotations.hpp"

namespace tessera::ecology {
namespace {

using tessera::testing::TempDirTest;

class Annotations : public TempDirTest {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path(name)).parent_path());
    std::ofstream(path(name)) << text;
    return path(name);
  }
  // The message of the error reading `name` as COCO ("" and a failure when there is none).
  std::string coco_error(const std::string& text) {
    return tessera::testing::error_of([&] { read_coco(write("bad.json", text)); });
  }
};

Dataset sample() {
  return {
      {{3, "trap_a.jpg", 200, 100}, {7, "trap_b.png", 64, 48}},
      {{1, "moth"}, {4, "fly"}},
      {{3, 1, {10, 20, 30, 15}, 1}, {3, 4, {150.5, 80, 49.5, 20}, 1}, {7, 4, {0, 0, 64, 48}, 1}}};
}

void expect_same_boxes(const Dataset& a, const Dataset& b, double tol) {
  ASSERT_EQ(a.annotations.size(), b.annotations.size());
  for (size_t i = 0; i < a.annotations.size(); ++i) {
    const Box &p = a.annotations[i].box, &q = b.annotations[i].box;
    EXPECT_EQ(a.annotations[i].image_id, b.annotations[i].image_id);
    EXPECT_NEAR(p.x, q.x, tol);
    EXPECT_NEAR(p.y, q.y, tol);
    EXPECT_NEAR(p.width, q.width, tol);
    EXPECT_NEAR(p.height, q.height, tol);
  }
}

TEST_F(Annotations, CocoRoundTrip) {
  write_coco(path("a.json"), sample());
  const Dataset back = read_coco(path("a.json"));
  ASSERT_EQ(back.images.size(), 2u);
  EXPECT_EQ(back.images[1].file_name, "trap_b.png");
  EXPECT_EQ(back.categories[1].name, "fly");
  EXPECT_EQ(back.annotations[1].category_id, 4);
  expect_same_boxes(back, sample(), 0);
}

TEST_F(Annotations, YoloRoundTripRenumbersClasses) {
  const Dataset d = sample();
  write_yolo(path("labels"), d);
  std::ifstream names(path("labels/classes.txt"));
  std::string first, second;
  names >> first >> second;
  EXPECT_EQ(first, "moth");
  EXPECT_EQ(second, "fly");
  const Dataset back = read_yolo(path("labels"), d.images);
  EXPECT_EQ(back.annotations[0].category_id, 0);  // moth (id 1) is class 0
  EXPECT_EQ(back.annotations[1].category_id, 1);  // fly (id 4) is class 1
  expect_same_boxes(back, d, 1e-5);
  // An image without a label file has no objects.
  std::filesystem::remove(path("labels/trap_b.txt"));
  EXPECT_EQ(read_yolo(path("labels"), d.images).annotations.size(), 2u);
}

TEST_F(Annotations, CocoResultsRoundTrip) {
  std::vector<Annotation> found = {{3, 1, {1, 2, 3, 4}, 0.25}, {7, 4, {5, 6, 7, 8}, 0.9}};
  write_coco_results(path("r.json"), found);
  const std::vector<Annotation> back = read_coco_results(path("r.json"));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].score, 0.25);
  EXPECT_EQ(back[1].box.height, 8);
  write("bad_score.json",
        R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 7}])");
  EXPECT_THROW(read_coco_results(path("bad_score.json")), std::runtime_error);
}

TEST_F(Annotations, SharedStickyTrapsRead) {
  const std::string file =
      std::string(TESSERA_SHARED_DATA) + "/ecology/sticky_traps/_annotations.coco.json";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " is absent";
  const Dataset d = read_coco(file);
  EXPECT_EQ(d.images.size(), 60u);
  EXPECT_EQ(d.annotations.size(), 5264u);
  EXPECT_EQ(d.images[0].width, 1536);
  EXPECT_EQ(d.images[0].height, 2048);
  EXPECT_DOUBLE_EQ(d.annotations[0].box.width, 85.841);
}

TEST_F(Annotations, BadCocoFilesAreNamed) {
  const std::string head = R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 100,
    "height": 50}], "categories": [{"id": 0, "name": "moth"}], "annotations": [)";
  auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(coco_error("{not json"), "not valid JSON"));
  EXPECT_TRUE(has(coco_error(R"({"categories": []})"), "no 'images'"));
  EXPECT_TRUE(has(coco_error(head + R"({"image_id": 2, "category_id": 0, "bbox": [0, 0, 5, 5]}]})"),
                  "annotations[0]: no image has id 2"));
  EXPECT_TRUE(has(coco_error(head + R"({"image_id": 1, "category_id": 3, "bbox": [0, 0, 5, 5]}]})"),
                  "no category has id 3"));
  EXPECT_TRUE(
      has(coco_error(head + R"({"image_id": 1, "category_id": 0, "bbox": [0, 0, -5, 5]}]})"),
          "must be positive"));
  EXPECT_TRUE(has(coco_error(head + R"({"image_id": 1, "category_id": 0, "bbox": [0, 0, 5]}]})"),
                  "4 numbers"));
  EXPECT_TRUE(
      has(coco_error(head + R"({"image_id": 1, "category_id": 0, "bbox": [90, 0, 20, 5]}]})"),
          "lies off image 1"));
  EXPECT_TRUE(has(coco_error(head + R"({"image_id": 1, "category_id": 0, "bbox": "wide"}]})"),
                  "wrong type"));
  EXPECT_TRUE(has(coco_error(R"({"images": [{"id": 1, "file_name": "a", "width": 1, "height": 1},
    {"id": 1, "file_name": "b", "width": 1, "height": 1}], "categories": []})"),
                  "image id 1 appears twice"));
  EXPECT_TRUE(has(coco_error(R"({"images": [{"id": 1, "file_name": "a", "width": 1e30,
    "height": 1}], "categories": []})"),
                  "images[0]: 'width' must be an integer: 1e+30"));
  EXPECT_TRUE(has(coco_error(R"({"images": [{"id": 1.5, "file_name": "a", "width": 1,
    "height": 1}], "categories": []})"),
                  "'id' must be an integer"));
  EXPECT_TRUE(has(coco_error(R"({"images": [{"id": 1, "file_name": "a", "width": 90000,
    "height": 1}], "categories": []})"),
                  "width and height must be at most 65535"));
  EXPECT_THROW(read_coco(path("none.json")), std::runtime_error);
}

TEST_F(Annotations, BadYoloFilesAreNamed) {
  const std::vector<ImageInfo> images = {{1, "a.jpg", 100, 100}};
  EXPECT_THROW(read_yolo(path("labels"), images), std::runtime_error);  // no classes.txt
  write("labels/classes.txt", "moth\n");
  auto error_of = [&](const std::string& line) {
    write("labels/a.txt", line);
    try {
      read_yolo(path("labels"), images);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("0 0.5 0.5 0.1\n").find("line 1: expected"), std::string::npos);
  EXPECT_NE(error_of("0 0.5 0.5 0.1 0.1 9\n").find("expected"), std::string::npos);
  EXPECT_NE(error_of("\n3 0.5 0.5 0.1 0.1\n").find("line 2: class 3"), std::string::npos);
  EXPECT_NE(error_of("0 50 50 10 10\n").find("normalised"), std::string::npos);
  EXPECT_NE(error_of("0 0.5 0.5 0 0.1\n").find("positive"), std::string::npos);
  EXPECT_EQ(error_of("0 0.5 0.5 0.1 0.2\n"), "no error");
}

}  // namespace
}  // namespace tessera::ecology
