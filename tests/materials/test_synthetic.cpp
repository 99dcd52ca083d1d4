// The synthetic micrographs: their tags agree with their masks, the same seed gives the same
// folder, and the folder reads with the library's own readers.
#include <gtest/gtest.h>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/data/micrograph_folder.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/materials/micrograph.hpp"
#include "tessera/materials/presence_tags.hpp"

namespace tessera::materials {
namespace {

using tessera::testing::TempDirTest;

TEST(SyntheticMicrograph, PhasesAreBrightWhereTheMaskSaysCementite) {
  const data::SyntheticMicrograph m =
      data::make_micrograph({.network_share = 1, .spheroidite_share = 0.5, .seed = 3});
  EXPECT_EQ(m.image.size(), cv::Size(320, 240));
  // Network pixels are cementite: brighter on average than the matrix.
  const double network = cv::mean(m.image, m.labels == data::network)[0];
  const double matrix = cv::mean(m.image, m.labels == data::matrix)[0];
  EXPECT_GT(network, matrix + 60);
  EXPECT_GT(cv::countNonZero(m.labels == data::spheroidite), 0);
  const data::SyntheticMicrograph again =
      data::make_micrograph({.network_share = 1, .spheroidite_share = 0.5, .seed = 3});
  EXPECT_EQ(cv::countNonZero(m.image != again.image), 0);
}

class SyntheticFolder : public TempDirTest {};

TEST_F(SyntheticFolder, TagsAgreeWithTheMasks) {
  data::write_micrograph_folder({.folder = path("m"), .specimens = 2, .images_per_specimen = 2});
  const PresenceTags tiles = read_presence_tags(path("m/tags_tiles.csv"));
  ASSERT_EQ(tiles.tags.size(), 4u * 20u);
  for (const RegionTag& t : tiles.tags) {
    const cv::Mat labels = cv::imread(path("m/labels/" + t.image + ".png"), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(labels.empty()) << t.image;
    const cv::Mat tile = labels(t.region);
    for (int p = 0; p < 4; ++p) {
      const double share = double(cv::countNonZero(tile == p)) / double(tile.total());
      EXPECT_EQ(t.present[size_t(p)], share > 0.02) << t.image << " tile " << t.line;
    }
  }
  const Micrograph m = read_micrograph(path("m/images/s1_1.png"), {.um_per_px = 0.2});
  EXPECT_EQ(m.cropped_rows, 0);  // no data bar
  EXPECT_EQ(m.pixels.cols, 320);
  EXPECT_THROW(data::write_micrograph_folder({.folder = path("n"), .specimens = 0}), SettingError);
}

}  // namespace
}  // namespace tessera::materials
