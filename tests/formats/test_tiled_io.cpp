// Tiled inference out of core: a volume on disk is processed region by region into a file,
// and the output read back equals whole-input inference.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "gradcheck.hpp"
#include "temp_dir.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/tile/tiled.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;

class TiledIo : public testing::TempDirTest {};

void write_whole(const std::string& spec, const Tensor& volume) {
  const Shape size(volume.shape().begin() + 2, volume.shape().end());
  auto sink = create_volume(spec, {.channels = volume.dim(1), .size = size}, volume.dim(1));
  sink->write(Region::whole(size), volume);
  sink->commit();
}

void expect_file_equals_whole(const std::string& in, const std::string& out, Module& net,
                              const Tensor& volume, const TileOptions& o) {
  auto source = open_volume(in);
  const VolumeInfo info = source->info();
  const TileReport r = run_tiled(
      net, *source, [&](int64_t c) { return create_volume(out, info, c); }, o);
  EXPECT_GT(r.plan.tiles, 1);
  const Tensor whole = run_whole(net, volume);
  auto result = open_volume(out);
  ASSERT_EQ(result->info().size, info.size);
  ASSERT_EQ(result->info().channels, whole.dim(1));
  const Tensor back = result->read(Region::whole(info.size));
  const auto a = back.to_vector(), b = whole.to_vector();
  ASSERT_EQ(a.size(), b.size());
  float diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = std::max(diff, std::abs(a[i] - b[i]));
  EXPECT_LE(diff, 1e-5f);
}

TEST_F(TiledIo, Hdf5VolumeOnDiskEqualsWholeInput) {
  auto net = make_unet({.dims = 3, .out_channels = 2, .channels = {4, 8}, .seed = 3});
  const Tensor volume = testing::random_tensor({1, 1, 37, 42, 35}, 4);
  write_whole(path("in.h5") + ":raw", volume);
  expect_file_equals_whole(path("in.h5") + ":raw", path("out.h5") + ":pred", *net, volume,
                           {.tile = {8, 8, 8}});
  // A budget-chosen tile too.
  expect_file_equals_whole(path("in.h5") + ":raw", path("out2.h5") + ":pred", *net, volume,
                           {.max_memory = std::size_t(6) << 20});
}

TEST_F(TiledIo, MetaImageVolumeOnDiskEqualsWholeInput) {
  auto net = make_unet({.dims = 3, .channels = {4, 8}, .seed = 5});
  const Tensor volume = testing::random_tensor({1, 1, 34, 37, 40}, 6);
  write_whole(path("in.mha"), volume);
  expect_file_equals_whole(path("in.mha"), path("out.mha"), *net, volume, {.tile = {4, 8, 8}});
}

TEST_F(TiledIo, TiffStackOnDiskEqualsWholeInput) {
  // Read page by page, written through the staging file in page order at commit.
  auto net = make_unet({.dims = 3, .out_channels = 2, .channels = {4, 8}, .seed = 9});
  const Tensor volume = testing::random_tensor({1, 1, 23, 41, 38}, 10);
  write_whole(path("in.tif"), volume);
  expect_file_equals_whole(path("in.tif"), path("out.tif"), *net, volume, {.tile = {4, 12, 12}});
  EXPECT_FALSE(fs::exists(path("out.tif") + ".stage.h5"));
}

TEST_F(TiledIo, ImageEqualsWholeInput2D) {
  auto net = make_unet({.dims = 2, .in_channels = 1, .channels = {4, 8, 16}, .seed = 7});
  const Tensor image = testing::random_tensor({1, 1, 121, 143}, 8);
  write_whole(path("in.h5") + ":image", image);
  expect_file_equals_whole(path("in.h5") + ":image", path("out.nrrd"), *net, image,
                           {.tile = {16, 16}});
}

TEST_F(TiledIo, IsbiStackStreamsAlongY) {
  // The real ISBI 2012 stack, 30 slices of 512 x 512: tiled inference reads it page by page,
  // streams along y (thinner chunks of 30 x 512 than of 512 x 512) and equals whole-input.
  const std::string stack =
      std::string(TESSERA_SHARED_DATA) + "/connectomics/isbi2012_train_volume.tif";
  if (!fs::exists(stack)) GTEST_SKIP() << stack << " is absent; see ../shared/data/README.md";
  auto net = make_unet({.dims = 3, .channels = {4, 8}, .seed = 11});
  auto source = open_volume(stack);
  const Tensor volume = source->read(Region::whole(source->info().size));
  const TileOptions budget{.max_memory = std::size_t(48) << 20};
  EXPECT_EQ(plan_tiles(*net, source->info(), budget).axis, 1);
  expect_file_equals_whole(stack, path("pred.h5") + ":pred", *net, volume, budget);
}

}  // namespace
}  // namespace tessera
