// What users hand the ecology commands: photos that must be whole and of a sane size, one photo
// where a folder is expected, Ultralytics data.yaml folders, and annotation files whose names or
// boxes point where they must not.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "photo_bytes.hpp"
#include "temp_dir.hpp"
#include "tessera/ecology/data_yaml.hpp"
#include "tessera/ecology/photos.hpp"
#include "tessera/ecology/workflow.hpp"

namespace tessera::ecology {
namespace {

namespace fs = std::filesystem;
using tessera::testing::error_of;
using tessera::testing::photo_bytes;
using tessera::testing::write_file;

class PhotoInputs : public tessera::testing::TempDirTest {
 protected:
  std::string file(const std::string& name, const std::string& bytes) {
    fs::create_directories(fs::path(path(name)).parent_path());
    write_file(path(name), bytes);
    return path(name);
  }
};

TEST_F(PhotoInputs, TruncatedPhotosAreRefusedNotFilledWithGrey) {
  const std::string jpeg = photo_bytes(".jpg"), png = photo_bytes(".png");
  EXPECT_EQ(read_photo(file("a.jpg", jpeg)).cols, 64);
  EXPECT_EQ(read_photo(file("a.png", png)).rows, 48);
  EXPECT_HAS(error_of([&] { read_photo(file("cut.jpg", jpeg.substr(0, jpeg.size() * 2 / 3))); }),
             "cut.jpg: the JPEG is truncated or corrupt");
  EXPECT_HAS(error_of([&] { read_photo(file("cut.png", png.substr(0, png.size() - 20))); }),
             "cut.png: the PNG is truncated");
}

// Real camera JPEGs (Roboflow's re-encodes of field photos) pass the whole-photo check.
TEST(SharedPhotos, RealTrapPhotosAreWhole) {
  const std::string folder = std::string(TESSERA_SHARED_DATA) + "/ecology/sticky_traps";
  if (!fs::exists(folder)) GTEST_SKIP() << folder << " is absent";
  const std::vector<std::string> photos = list_photos(folder);
  EXPECT_EQ(photos.size(), 60u);
  for (const std::string& p : photos) {
    const cv::Mat m = read_photo(folder + "/" + p);
    EXPECT_EQ(std::min(m.cols, m.rows), 1536) << p;  // some stand upright
  }
}

TEST_F(PhotoInputs, HugeSizesAreRefusedFromTheHeader) {
  using tessera::testing::jpeg_claiming;
  using tessera::testing::png_claiming;
  // 900 megapixels: under OpenCV's own limit, so it would allocate 2.7 GB and decode grey.
  EXPECT_HAS(error_of([&] {
               read_photo(file("big.jpg", jpeg_claiming(photo_bytes(".jpg"), 30000, 30000)));
             }),
             "big.jpg: the header gives a photo of 30000x30000 pixels, beyond the limit");
  EXPECT_HAS(
      error_of([&] { read_photo(file("big.png", png_claiming(photo_bytes(".png"), 100000, 8))); }),
      "big.png: the header gives a photo of 100000x8 pixels");
  EXPECT_HAS(
      error_of([&] { read_photo(file("zero.png", png_claiming(photo_bytes(".png"), 0, 8))); }),
      "zero.png: the header gives an empty photo");
}

TEST_F(PhotoInputs, OnePhotoFileStandsForAFolder) {
  const std::string one = file("night/a.jpg", photo_bytes(".jpg"));
  file("night/b.jpg", photo_bytes(".jpg"));
  EXPECT_EQ(list_photos(one), std::vector<std::string>{"a.jpg"});
  EXPECT_EQ(photo_folder(one), path("night"));
  EXPECT_EQ(photo_folder(path("night")), path("night"));
  const std::vector<ImageInfo> photos = photo_list(one, "");
  ASSERT_EQ(photos.size(), 1u);
  EXPECT_EQ(photos[0].file_name, "a.jpg");
  EXPECT_EQ(read_annotated_photo(photo_root(one, ""), photos[0]).cols, 64);
  EXPECT_HAS(error_of([&] { list_photos(path("night/none.jpg")); }), "no such folder of photos");
}

TEST_F(PhotoInputs, UltralyticsDataYamlWithLabelsBesideImages) {
  file("ds/images/train/a.jpg", photo_bytes(".jpg"));
  file("ds/labels/train/a.txt", "1 0.5 0.5 0.25 0.25\n");
  file("ds/images/val/b.jpg", photo_bytes(".jpg"));
  const std::string yaml = file("ds/data.yaml",
                                "path: .\ntrain: images/train\nval: images/val\nnc: 2\n"
                                "names:\n  0: moth\n  1: fly\n");
  const Dataset train = read_annotations(yaml, "", "train");
  ASSERT_EQ(train.images.size(), 1u);
  EXPECT_EQ(train.images[0].file_name, "images/train/a.jpg");
  ASSERT_EQ(train.categories.size(), 2u);
  EXPECT_EQ(train.categories[1].name, "fly");
  ASSERT_EQ(train.annotations.size(), 1u);
  EXPECT_EQ(train.annotations[0].category_id, 1);
  EXPECT_DOUBLE_EQ(train.annotations[0].box.x, 24);
  EXPECT_DOUBLE_EQ(train.annotations[0].box.height, 12);
  // The data.yaml as the photos: its val split, photos named under the root.
  const Dataset val = read_annotations("", yaml);
  ASSERT_EQ(val.images.size(), 1u);
  EXPECT_EQ(val.images[0].file_name, "images/val/b.jpg");
  EXPECT_TRUE(val.annotations.empty());
  EXPECT_EQ(fs::path(photo_root(yaml, "")), fs::path(path("ds")));
  EXPECT_EQ(yolo_label_path("ds/images/train/x.y.jpg"), "ds/labels/train/x.y.txt");
  EXPECT_EQ(yolo_label_path("x.jpg"), "");
}

TEST_F(PhotoInputs, RoboflowDataYamlAndBadOnes) {
  file("rf/train/images/a.jpg", photo_bytes(".jpg"));
  file("rf/train/labels/a.txt", "0 0.5 0.5 0.25 0.25\n");
  const std::string yaml =
      file("rf/data.yaml", "train: ../train/images\nval: ../valid/images\nnames: ['moth']\n");
  EXPECT_EQ(read_annotations(yaml, "", "train").annotations.size(), 1u);
  EXPECT_HAS(error_of([&] { read_annotations(yaml, "", "val"); }),
             "data.yaml: val: valid/images is not a folder of photos");
  const auto yaml_error = [&](const std::string& text) {
    return error_of([&] { read_data_yaml(file("bad/data.yaml", text)); });
  };
  fs::create_directories(path("bad/images"));
  EXPECT_HAS(yaml_error("train: images\n"), "has no 'names'");
  EXPECT_HAS(yaml_error("train: images\nnames: [a, b]\nnc: 3\n"), "nc is 3 but names lists 2");
  EXPECT_HAS(yaml_error("train: images\nnames: {0: a, 2: b}\n"), "class 1 is missing");
  EXPECT_HAS(yaml_error("train: ../../..\nnames: [a]\n"), "lies outside the dataset root");
  EXPECT_HAS(yaml_error("names: [a]\n"), "names no split");
  EXPECT_HAS(yaml_error("train: [images\nnames: [a]\n"), "not valid YAML");
  EXPECT_HAS(yaml_error("- a\n- b\n"), "is not a data.yaml");
}

TEST_F(PhotoInputs, AnnotationNamesStayInsideThePhotoFolder) {
  const auto coco_with = [&](const std::string& name) {
    return error_of([&] {
      read_coco(file("c.json", R"({"images": [{"id": 1, "file_name": ")" + name +
                                   R"(", "width": 10, "height": 10}], "categories": []})"));
    });
  };
  for (const char* name : {"../x.jpg", "/etc/hostname", "a/../../x.jpg"})
    EXPECT_HAS(coco_with(name),
               "images[0]: file_name '" + std::string(name) + "' leaves the photo folder");
  EXPECT_HAS(coco_with(""), "file_name is empty");
  EXPECT_HAS(error_of([&] {
               read_coco(file("d.json", R"({"images": [
                 {"id": 1, "file_name": "a.jpg", "width": 10, "height": 10},
                 {"id": 2, "file_name": "./a.jpg", "width": 10, "height": 10}],
                 "categories": []})"));
             }),
             "file_name './a.jpg' appears twice");
  EXPECT_HAS(error_of([&] { read_coco(file("deep.json", std::string(100000, '['))); }),
             "deep.json: not valid JSON: nested more than");
}

TEST_F(PhotoInputs, YoloBoxesOffTheirPhotoAreRefused) {
  file("labels/classes.txt", "moth\n");
  file("labels/a.txt", "0 0.05 0.5 0.5 0.1\n");
  EXPECT_HAS(error_of([&] {
               read_yolo(path("labels"), {{1, "a.jpg", 100, 100}});
             }),
             "a.txt: line 1: box [-20.000000, 45.000000, 50.000000, 10.000000] lies off image 1");
  file("labels/classes.txt", "mo\x01th\n");
  EXPECT_HAS(error_of([&] {
               read_yolo(path("labels"), {{1, "a.jpg", 100, 100}});
             }),
             "classes.txt: line 1: a class name holds control characters");
}

}  // namespace
}  // namespace tessera::ecology
