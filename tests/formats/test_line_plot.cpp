// Line plots: the PNG reads back at its size with the series' colours drawn; bad series are
// refused before any file is written.
#include <gtest/gtest.h>

#include <filesystem>

#include "temp_dir.hpp"
#include "tessera/formats/line_plot.hpp"
#include "tessera/formats/volume_io.hpp"

namespace tessera {
namespace {

using LinePlotTest = testing::TempDirTest;

TEST_F(LinePlotTest, WritesAPngOfTheRequestedSizeWithTheCurves) {
  const std::string file = path("curves.png");
  LinePlot p{.title = "loss", .x_label = "epoch", .y_label = "BCE"};
  p.series.push_back({"a", {1, 2, 3}, {1.0, 0.5, 0.25}});
  p.series.push_back({"b", {1, 2, 3}, {2.0, 0.4, 0.3}});
  p.h_lines = {0.3};
  p.log_y = true;
  write_line_plot(file, p);
  auto src = open_volume(file);
  ASSERT_EQ(src->info().size, (Shape{p.height, p.width}));
  ASSERT_EQ(src->info().channels, 3);
  const Tensor img = src->read(Region::whole(src->info().size)).to_plain();
  // Pixels of the first series' blue (B 180, G 119, R 31): the channel order is B, G, R or
  // R, G, B depending on the reader, so look for either.
  const int64_t n = p.width * p.height;
  int64_t coloured = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float c0 = img.data()[i], c2 = img.data()[2 * n + i];
    if (std::abs(c0 - c2) > 100) ++coloured;
  }
  EXPECT_GT(coloured, 200);
}

TEST_F(LinePlotTest, RefusesMalformedSeriesWithoutWriting) {
  const std::string file = path("bad.png");
  LinePlot p;
  p.series.push_back({"a", {1, 2}, {1.0}});
  EXPECT_THROW(write_line_plot(file, p), std::invalid_argument);
  LinePlot q{.log_y = true};
  q.series.push_back({"a", {1, 2}, {1.0, 0.0}});
  EXPECT_THROW(write_line_plot(file, q), std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(file));
}

}  // namespace
}  // namespace tessera
