// Specimen folds, micrographs (depths, data bar, pixel size) and presence tags, with the errors
// a user meets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/materials/micrograph.hpp"
#include "tessera/materials/presence_tags.hpp"
#include "tessera/materials/specimen_folds.hpp"

namespace tessera::materials {
namespace {

using tessera::testing::error_of;
using tessera::testing::TempDirTest;

TEST(SpecimenFolds, NeverSplitASpecimenAndBalanceTheImages) {
  std::vector<std::string> specimens;
  for (int s = 0; s < 9; ++s)
    for (int i = 0; i <= s % 4; ++i) specimens.push_back(std::to_string(s) + "th");
  for (uint64_t seed : {0, 1, 2}) {
    const std::vector<int> fold = specimen_folds(specimens, 3, seed);
    std::map<std::string, std::set<int>> folds_of;
    std::vector<int> size(3, 0);
    for (size_t i = 0; i < specimens.size(); ++i) {
      folds_of[specimens[i]].insert(fold[i]);
      ++size[size_t(fold[i])];
    }
    for (const auto& [s, f] : folds_of) EXPECT_EQ(f.size(), 1u) << s;
    // 21 images (specimens of 1 to 4): largest first to the emptiest fold gives 7 each.
    std::sort(size.begin(), size.end());
    EXPECT_EQ(size, (std::vector<int>{7, 7, 7}));
  }
  EXPECT_HAS(error_of([] { specimen_folds({"a", "a", "b"}, 3); }), "3 folds for 2 specimens");
}

class Micrographs : public TempDirTest {
 protected:
  // A 40x30 gradient (its bottom `bar` rows black with a white mark) written as `name`.
  std::string write(const std::string& name, int depth, int bar = 0) {
    cv::Mat m(30, 40, depth);
    const double top = depth == CV_8U ? 255 : 65535;
    for (int y = 0; y < m.rows; ++y)
      for (int x = 0; x < m.cols; ++x) {
        const double v = y >= m.rows - bar ? (x == 5 ? top : 0) : (0.2 + 0.5 * x / 40.0) * top;
        if (depth == CV_8U)
          m.at<uint8_t>(y, x) = cv::saturate_cast<uint8_t>(v);
        else
          m.at<uint16_t>(y, x) = cv::saturate_cast<uint16_t>(v);
      }
    cv::imwrite(path(name), m);
    return path(name);
  }
};

TEST_F(Micrographs, DepthsReadToTheUnitRange) {
  const Micrograph a = read_micrograph(write("a.png", CV_8U));
  const Micrograph b = read_micrograph(write("b.tif", CV_16U));
  EXPECT_EQ(a.pixels.type(), CV_32FC1);
  EXPECT_NEAR(a.pixels.at<float>(3, 0), 0.2, 1.0 / 255);
  EXPECT_NEAR(b.pixels.at<float>(3, 20), 0.45, 1e-4);
  EXPECT_EQ(a.cropped_rows, 0);
}

TEST_F(Micrographs, TheDataBarIsDetectedOrGiven) {
  const Micrograph m = read_micrograph(write("bar.png", CV_8U, 6));
  EXPECT_EQ(m.cropped_rows, 6);
  EXPECT_EQ(m.pixels.rows, 24);
  EXPECT_EQ(read_micrograph(path("bar.png"), {.crop_bottom = 2}).pixels.rows, 28);
  EXPECT_HAS(error_of([&] { read_micrograph(path("bar.png"), {.crop_bottom = 20}); }),
             "leaves 10 (need 16)");
}

TEST_F(Micrographs, ResampledToACommonPixelSize) {
  const Micrograph m = read_micrograph(write("a.png", CV_8U), {.um_per_px = 0.1});
  const Micrograph half = resample_to(m, 0.2);
  EXPECT_EQ(half.pixels.cols, 20);
  EXPECT_EQ(half.pixels.rows, 15);
  EXPECT_DOUBLE_EQ(half.um_per_px, 0.2);
  // Area averaging: the mean brightness stays.
  EXPECT_NEAR(cv::mean(half.pixels)[0], cv::mean(m.pixels)[0], 1e-3);
  EXPECT_HAS(error_of([&] { resample_to(read_micrograph(path("a.png")), 0.2); }),
             "needs the pixel size");
}

TEST_F(Micrographs, BadFilesAreNamed) {
  EXPECT_HAS(error_of([&] { read_micrograph(path("none.png")); }), "none.png: no such image file");
  std::ofstream(path("text.png")) << "not an image";
  EXPECT_HAS(error_of([&] { read_micrograph(path("text.png")); }), "not an image OpenCV can read");
  EXPECT_HAS(error_of([&] { read_micrograph(write("a.png", CV_8U), {.um_per_px = -1}); }),
             "the pixel size must be positive");
}

class Tags : public TempDirTest {
 protected:
  std::string write(const std::string& text) {
    std::ofstream(path("tags.csv")) << text;
    return path("tags.csv");
  }
};

TEST_F(Tags, PerImageAndPerRegion) {
  const PresenceTags image = read_presence_tags(write("name,has_matrix,has_network\na,1,0\n"));
  EXPECT_EQ(image.phases, (std::vector<std::string>{"matrix", "network"}));
  ASSERT_EQ(image.tags.size(), 1u);
  EXPECT_TRUE(image.tags[0].region.empty());
  EXPECT_EQ(image.tags[0].present, (std::vector<bool>{true, false}));
  const PresenceTags tiles = read_presence_tags(
      write("name,tile_row,tile_col,y0,y1,x0,x1,has_a\nimg,0,0,0,121,0,129,1\n"));
  EXPECT_EQ(tiles.tags[0].region, cv::Rect(0, 0, 129, 121));
}

TEST_F(Tags, MistakesNameTheLine) {
  EXPECT_HAS(error_of([&] { read_presence_tags(write("name,matrix\na,1\n")); }),
             "no phase columns");
  EXPECT_HAS(error_of([&] { read_presence_tags(write("name,has_a\na,2\n")); }),
             "tags.csv:2: has_a: must be 0 or 1");
  EXPECT_HAS(error_of([&] { read_presence_tags(write("name,has_a\na,1\na,0\n")); }),
             "tags.csv:3: 'a' has this region tagged twice");
  EXPECT_HAS(error_of([&] { read_presence_tags(write("name,y0,y1,has_a\na,0,5,1\n")); }),
             "a region needs all of y0, y1, x0 and x1");
  EXPECT_HAS(error_of([&] { read_presence_tags(write("name,y0,y1,x0,x1,has_a\na,5,5,0,3,1\n")); }),
             "is empty or negative");
}

TEST(UhcsTags, TheSharedTileTagsRead) {
  const std::string tiles =
      std::string(TESSERA_SHARED_DATA) + "/materials/uhcs/segmentation/tags_tiles_4x5.csv";
  if (!std::filesystem::exists(tiles)) GTEST_SKIP() << tiles << " is absent";
  const PresenceTags t = read_presence_tags(tiles);
  EXPECT_EQ(t.phases,
            (std::vector<std::string>{"matrix", "network", "spheroidite", "widmanstatten"}));
  EXPECT_EQ(t.tags.size(), 16u * 20u);  // 16 micrographs, a 4x5 grid each
}

}  // namespace
}  // namespace tessera::materials
