// Volume outputs are compressed where the format can be (HDF5 chunked + deflate, NRRD gzip,
// MetaImage zlib, .nii.gz) and read back exactly; an HDF5 output's chunks suit region writes.
#include <H5Cpp.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "temp_dir.hpp"
#include "tessera/formats/volume_io.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;

class CompressedOutputs : public testing::TempDirTest {};

// Smooth values with a few exact integers: compressible, and exact in every type below.
Tensor smooth(int64_t channels, const Shape& size) {
  Shape shape{1, channels};
  shape.insert(shape.end(), size.begin(), size.end());
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = float((i / 64) % 200);
  return t;
}

TEST_F(CompressedOutputs, FilesAreSmallAndReadBackTheSame) {
  const Shape size{16, 64, 64};
  const Tensor volume = smooth(2, size);
  const uint64_t raw_bytes = uint64_t(volume.numel()) * sizeof(float);
  for (const std::string name : {"c.h5", "c.mha", "c.mhd", "c.nrrd", "c.nii.gz"}) {
    const std::string file = path(name), spec = file + (name.ends_with(".h5") ? ":pred" : "");
    TensorSource source(volume);
    auto sink = create_volume(spec, source.info(), 2);
    sink->write(Region::whole(size), volume);
    sink->commit();
    EXPECT_LT(fs::file_size(file), raw_bytes / 4) << name << " is stored compressed";
    const Tensor back = open_volume(spec)->read(Region::whole(size));
    ASSERT_EQ(back.shape(), volume.shape()) << name;
    EXPECT_EQ(std::memcmp(back.data(), volume.data(), raw_bytes), 0) << name;
  }
}

TEST_F(CompressedOutputs, Hdf5ChunksFollowTheRegionsATiledWriterSends) {
  const Shape size{20, 300, 100};
  TensorSource source(smooth(3, size));
  auto sink = create_volume(path("p.h5") + ":pred", source.info(), 3, "uint8");
  sink->write(Region::whole(size), source.read(Region::whole(size)));
  sink->commit();
  H5::H5File f(path("p.h5"), H5F_ACC_RDONLY);
  const H5::DSetCreatPropList dcpl = f.openDataSet("pred").getCreatePlist();
  ASSERT_EQ(dcpl.getLayout(), H5D_CHUNKED);
  hsize_t chunk[4];
  dcpl.getChunk(4, chunk);
  // One channel per chunk, a few slices deep, a tile of the cross-section.
  EXPECT_EQ(chunk[0], 1u);
  EXPECT_EQ(chunk[1], 8u);
  EXPECT_EQ(chunk[2], 64u);
  EXPECT_EQ(chunk[3], 64u);
  EXPECT_TRUE(dcpl.allFiltersAvail());
  EXPECT_GE(dcpl.getNfilters(), 1);
  unsigned flags = 0, config = 0;
  size_t n = 1;
  unsigned level = 0;
  char name[32];
  EXPECT_EQ(dcpl.getFilter(0, flags, n, &level, sizeof name, name, config), H5Z_FILTER_DEFLATE);
}

}  // namespace
}  // namespace tessera
