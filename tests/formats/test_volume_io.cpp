// Region-wise volume I/O: Region arithmetic, the in-memory source and sink, a write-reopen-read
// round trip for every format family, error cases, and the real sample data when present.
#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "temp_dir.hpp"
#include "tessera/formats/volume_io.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Helpers

// [1, C, *size] with distinct values that float32 holds exactly, so a misplaced voxel shows.
Tensor pattern(int64_t channels, const Shape& size) {
  Shape shape{1, channels};
  shape.insert(shape.end(), size.begin(), size.end());
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(i % 1000) * 0.25f - 7.f;
  return t;
}

// Values an 8-bit image stores, including some outside [0, 255] and some halfway fractions.
Tensor image_pattern(int64_t channels, const Shape& size) {
  Tensor t = pattern(channels, size);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(i * 37 % 300) - 20.4f;
  return t;
}

// What an 8-bit format gives back for `v`: rounded, clamped.
float as_uint8(float v) {
  return std::clamp(std::nearbyint(v), 0.f, 255.f);
}

// The regions a tiled writer would send: the volume cut in four along its last two axes.
std::vector<Region> quarters(const Shape& size) {
  const size_t n = size.size();
  std::vector<Region> out;
  for (int qy = 0; qy < 2; ++qy)
    for (int qx = 0; qx < 2; ++qx) {
      Region r{Shape(n, 0), size};
      const int64_t hy = size[n - 2] / 2, hx = size[n - 1] / 2;
      r.origin[n - 2] = qy ? hy : 0;
      r.size[n - 2] = qy ? size[n - 2] - hy : hy;
      r.origin[n - 1] = qx ? hx : 0;
      r.size[n - 1] = qx ? size[n - 1] - hx : hx;
      out.push_back(r);
    }
  return out;
}

void write_in_quarters(VolumeSink& sink, const Tensor& volume) {
  TensorSource whole(volume);
  // Last quarter first: a streamed file must be creatable by a paste away from the origin.
  const std::vector<Region> parts = quarters(whole.info().size);
  for (auto r = parts.rbegin(); r != parts.rend(); ++r) sink.write(*r, whole.read(*r));
}

// A few sub-regions worth comparing: the whole, a corner, an interior box, one voxel.
std::vector<Region> probes(const Shape& size) {
  const size_t n = size.size();
  std::vector<Region> out{{Shape(n, 0), size}};
  Region corner{Shape(n, 0), size}, inner{Shape(n, 1), size}, voxel{Shape(n, 0), Shape(n, 1)};
  for (size_t a = 0; a < n; ++a) {
    corner.size[a] = (size[a] + 1) / 2;
    inner.size[a] = std::max<int64_t>(1, size[a] - 3);
    voxel.origin[a] = size[a] - 1;
  }
  out.insert(out.end(), {corner, inner, voxel});
  return out;
}

void expect_close(const Tensor& got, const Tensor& want, float tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const Tensor g = got.to_plain(), w = want.to_plain();
  for (int64_t i = 0; i < w.numel(); ++i)
    ASSERT_NEAR(g.data()[i], w.data()[i], tol) << what << " at flat index " << i;
}

void expect_regions_match(VolumeSource& src, const Tensor& volume, float tol) {
  TensorSource want(volume);
  for (const Region& r : probes(want.info().size))
    expect_close(src.read(r), want.read(r), tol, "region " + r.str());
}

// One fresh folder per test, removed afterwards.
class VolumeIo : public testing::TempDirTest {};

// Writes `volume` to `spec` in quarters, commits, and reopens it.
std::unique_ptr<VolumeSource> round_trip(const std::string& spec, const Tensor& volume,
                                         const std::vector<double>& spacing,
                                         const std::string& type = "float32") {
  VolumeInfo like;
  like.size.assign(volume.shape().begin() + 2, volume.shape().end());
  like.spacing = spacing;
  auto sink = create_volume(spec, like, volume.dim(1), type);
  write_in_quarters(*sink, volume);
  sink->commit();
  return open_volume(spec);
}

// ---------------------------------------------------------------------------------------------
// Region

TEST(Region, ContainsAndIntersect) {
  const Region box{{0, 0, 0}, {4, 5, 6}};
  EXPECT_TRUE(box.contains({{1, 2, 3}, {3, 3, 3}}));
  EXPECT_TRUE(box.contains(box));
  EXPECT_FALSE(box.contains({{1, 2, 3}, {4, 3, 3}}));
  EXPECT_FALSE(box.contains({{-1, 0, 0}, {1, 1, 1}}));
  EXPECT_FALSE(box.contains({{2, 2, 2}, {1, -1, 1}}));

  const Region overlap = box.intersect({{2, -1, 4}, {10, 3, 10}});
  EXPECT_EQ(overlap.origin, (Shape{2, 0, 4}));
  EXPECT_EQ(overlap.size, (Shape{2, 2, 2}));
  EXPECT_FALSE(overlap.empty());
  EXPECT_EQ(overlap.voxels(), 8);

  EXPECT_TRUE(box.intersect({{0, 5, 0}, {1, 1, 1}}).empty());  // touching faces share nothing
  EXPECT_TRUE(box.intersect({{9, 9, 9}, {1, 1, 1}}).empty());
  EXPECT_EQ(Region({{0, 32}, {64, 64}}).str(), "[0:64, 32:96]");
}

TEST(Region, RankMismatchThrows) {
  const Region a{{0, 0}, {4, 4}}, b{{0, 0, 0}, {1, 1, 1}};
  EXPECT_THROW(a.contains(b), std::invalid_argument);
  EXPECT_THROW(a.intersect(b), std::invalid_argument);
}

TEST(TensorSourceSink, ReadCopiesRegionOut) {
  const Tensor volume = pattern(2, {5, 7, 6});
  TensorSource src(volume);
  EXPECT_EQ(src.info().channels, 2);
  EXPECT_EQ(src.info().size, (Shape{5, 7, 6}));
  const Tensor part = src.read({{1, 2, 3}, {2, 3, 2}});
  ASSERT_EQ(part.shape(), (Shape{1, 2, 2, 3, 2}));
  // channel 1, voxel (z=2, y=4, x=4) of the volume is part's (1, 1, 2, 1)
  const int64_t flat_volume = ((1 * 5 + 2) * 7 + 4) * 6 + 4,
                flat_part = ((1 * 2 + 1) * 3 + 2) * 2 + 1;
  EXPECT_EQ(part.data()[flat_part], volume.data()[flat_volume]);
}

TEST(TensorSourceSink, SinkAssemblesRegions) {
  for (const Shape& size : {Shape{13}, Shape{9, 11}, Shape{5, 7, 6}}) {
    const Tensor volume = pattern(3, size);
    TensorSink sink(3, size);
    if (size.size() > 1) {
      write_in_quarters(sink, volume);
    } else {  // quarters need two axes: two halves instead
      TensorSource whole(volume);
      for (const Region& r : {Region{{0}, {6}}, Region{{6}, {7}}}) sink.write(r, whole.read(r));
    }
    sink.commit();
    expect_close(sink.result(), volume, 0.f, "size " + to_string(size));
  }
}

TEST(TensorSourceSink, OutsideOrMismatchedThrows) {
  TensorSource src(pattern(1, {4, 4}));
  EXPECT_THROW(src.read({{2, 2}, {3, 1}}), std::invalid_argument);
  EXPECT_THROW(src.read({{0, 0, 0}, {1, 1, 1}}), std::invalid_argument);
  TensorSink sink(2, {4, 4});
  EXPECT_THROW(sink.write({{3, 3}, {2, 2}}, pattern(2, {2, 2})), std::invalid_argument);
  EXPECT_THROW(sink.write({{0, 0}, {2, 2}}, pattern(1, {2, 2})), std::invalid_argument);
  EXPECT_THROW(TensorSource(Tensor::zeros({3, 4})), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Round trip through every family

struct Case {
  std::string name;    // test name
  std::string prefix;  // "geotiff:" or ""
  std::string file;    // in the test folder
  std::string suffix;  // ":dataset" for HDF5
  int64_t channels;
  Shape size;
  bool keeps_spacing;
  bool eight_bit;  // values come back rounded and clamped to [0, 255]
};

class RoundTrip : public VolumeIo, public ::testing::WithParamInterface<Case> {};

TEST_P(RoundTrip, WriteByRegionThenReadRegions) {
  const Case& c = GetParam();
  const std::string spec = c.prefix + path(c.file) + c.suffix;
  const Tensor volume =
      c.eight_bit ? image_pattern(c.channels, c.size) : pattern(c.channels, c.size);
  const std::vector<double> spacing =
      c.size.size() == 3 ? std::vector<double>{4.0, 0.5, 0.25} : std::vector<double>{0.5, 0.25};
  auto src = round_trip(spec, volume, spacing);

  EXPECT_EQ(src->info().size, c.size);
  EXPECT_EQ(src->info().channels, c.channels);
  if (c.keeps_spacing) {
    EXPECT_EQ(src->info().spacing, spacing);
  }
  EXPECT_FALSE(src->info().description.empty());
  Tensor want = volume.clone();
  if (c.eight_bit) std::transform(want.data(), want.data() + want.numel(), want.data(), as_uint8);
  expect_regions_match(*src, want, 0.f);
  EXPECT_EQ(files_in_dir(), 1u) << "temporaries left behind";
}

const Case kCases[] = {
    {"hdf5_3d_2ch", "", "vol.h5", ":group/raw", 2, {5, 7, 6}, true, false},
    {"hdf5_2d", "", "img.h5", ":raw", 1, {9, 11}, true, false},
    {"hdf5_2d_3ch", "", "img.hdf5", ":a/b/rgb", 3, {9, 11}, true, false},
    {"mha_3d_2ch", "", "vol.mha", "", 2, {5, 7, 6}, true, false},
    {"mha_2d", "", "img.mha", "", 1, {9, 11}, true, false},
    {"mhd_3d", "", "vol.mhd", "", 1, {5, 7, 6}, true, false},
    {"nrrd_3d_2ch", "", "vol.nrrd", "", 2, {5, 7, 6}, true, false},
    {"nhdr_3d", "", "vol.nhdr", "", 1, {5, 7, 6}, true, false},
    {"nii_3d_2ch", "", "vol.nii", "", 2, {5, 7, 6}, true, false},
    {"niigz_3d", "", "vol.nii.gz", "", 1, {5, 7, 6}, true, false},
    {"tif_3d", "", "vol.tif", "", 1, {5, 7, 6}, false, false},
    {"tiff_2d", "", "img.tiff", "", 1, {9, 11}, false, false},
    {"geotiff_2ch", "geotiff:", "grid.tif", "", 2, {9, 11}, true, false},
    {"gdal_prefix_tif", "gdal:", "grid.tif", "", 1, {9, 11}, true, false},
    {"png_gray", "", "img.png", "", 1, {9, 11}, false, true},
    {"png_bgr", "", "img.png", "", 3, {9, 11}, false, true},
    {"bmp_bgr", "", "img.bmp", "", 3, {9, 11}, false, true},
    {"pgm", "", "img.pgm", "", 1, {9, 11}, false, true},
    {"ppm", "", "img.ppm", "", 3, {9, 11}, false, true},
};

INSTANTIATE_TEST_SUITE_P(Families, RoundTrip, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.name; });

TEST_F(VolumeIo, JpegKeepsSizeAndRoughValues) {
  // JPEG is lossy: check the layout and that a smooth image comes back close.
  Tensor volume = Tensor::empty({1, 3, 16, 24});
  for (int64_t i = 0; i < volume.numel(); ++i)
    volume.data()[i] = 100.f + static_cast<float>(i % 24);
  auto src = round_trip(path("img.jpg"), volume, {});
  EXPECT_EQ(src->info().size, (Shape{16, 24}));
  EXPECT_EQ(src->info().channels, 3);
  expect_close(src->read({{0, 0}, {16, 24}}), volume, 12.f, "jpeg");
}

TEST_F(VolumeIo, Hdf5IntegerTypesRoundAndClamp) {
  Tensor labels = Tensor::from_vector({1, 1, 2, 3}, {0.f, 3.4f, 3.6f, -2.f, 70000.f, 4e9f});
  auto u8 = round_trip(path("l.h5") + ":u8", labels, {}, "uint8");
  EXPECT_EQ(u8->read({{0, 0}, {2, 3}}).to_vector(), (std::vector<float>{0, 3, 4, 0, 255, 255}));
  auto u16 = round_trip(path("l.h5") + ":u16", labels, {}, "uint16");
  EXPECT_EQ(u16->read({{0, 0}, {2, 3}}).to_vector(),
            (std::vector<float>{0, 3, 4, 0, 65535, 65535}));
  auto u64 = round_trip(path("l.h5") + ":u64", labels, {}, "uint64");
  EXPECT_EQ(u64->read({{0, 0}, {2, 3}}).to_vector(), (std::vector<float>{0, 3, 4, 0, 70000, 4e9f}));
  EXPECT_NE(u64->info().description.find("uint64"), std::string::npos);
}

TEST_F(VolumeIo, Hdf5ChunksAtMost64AndCompressed) {
  VolumeInfo like{1, {3, 70, 130}, {}, ""};
  auto sink = create_volume(path("big.h5") + ":v", like, 1);
  sink->write({{0, 0, 0}, {3, 70, 130}}, pattern(1, {3, 70, 130}));
  sink->commit();
  H5::H5File file(path("big.h5"), H5F_ACC_RDONLY);
  const H5::DSetCreatPropList dcpl = file.openDataSet("v").getCreatePlist();
  hsize_t chunk[3];
  ASSERT_EQ(dcpl.getChunk(3, chunk), 3);
  EXPECT_EQ((std::vector<hsize_t>{chunk[0], chunk[1], chunk[2]}),
            (std::vector<hsize_t>{3, 64, 64}));
  EXPECT_TRUE(dcpl.allFiltersAvail());
  EXPECT_EQ(dcpl.getNfilters(), 1);
}

TEST_F(VolumeIo, ItkAndGdalIntegerTypes) {
  const Tensor volume = image_pattern(1, {4, 5, 6});
  Tensor want = volume.clone();
  std::transform(want.data(), want.data() + want.numel(), want.data(), as_uint8);
  auto nrrd = round_trip(path("v.nrrd"), volume, {}, "uint8");
  expect_regions_match(*nrrd, want, 0.f);
  const Tensor grid = image_pattern(2, {9, 11});
  Tensor grid_want = grid.clone();
  std::transform(grid_want.data(), grid_want.data() + grid_want.numel(), grid_want.data(),
                 as_uint8);
  auto tif = round_trip("geotiff:" + path("g.tif"), grid, {}, "uint8");
  expect_regions_match(*tif, grid_want, 0.f);
  EXPECT_TRUE(tif->info().spacing.empty());
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST_F(VolumeIo, MissingFileNamesIt) {
  for (const std::string& spec : {path("none.h5") + ":raw", path("none.mha"), path("none.png"),
                                  "geotiff:" + path("none.tif")}) {
    try {
      open_volume(spec);
      ADD_FAILURE() << spec << " opened";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("none."), std::string::npos) << e.what();
    }
  }
}

TEST_F(VolumeIo, MissingDatasetListsWhatExists) {
  round_trip(path("v.h5") + ":volumes/raw", pattern(1, {2, 3, 4}), {});
  try {
    open_volume(path("v.h5") + ":volumes/labels");
    FAIL() << "opened a missing dataset";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("volumes/labels"), std::string::npos) << msg;
    EXPECT_NE(msg.find("volumes/raw"), std::string::npos) << msg;
  }
  EXPECT_THROW(open_volume(path("v.h5")), std::runtime_error);  // no dataset named
  EXPECT_THROW(open_volume(path("v.h5") + ":"), std::runtime_error);
}

TEST_F(VolumeIo, UnknownExtension) {
  std::ofstream(path("v.xyz")) << "data";
  EXPECT_THROW(open_volume(path("v.xyz")), std::runtime_error);
  EXPECT_THROW(create_volume(path("v.xyz"), VolumeInfo{1, {4, 4}, {}, ""}, 1), std::runtime_error);
  EXPECT_THROW(create_volume(path("v.img"), VolumeInfo{1, {4, 4}, {}, ""}, 1), std::runtime_error);
}

TEST_F(VolumeIo, TruncatedOrCorruptFilesThrow) {
  const Tensor volume = pattern(1, {5, 7, 6});
  const Tensor image = image_pattern(3, {9, 11});
  for (const std::string& spec : {path("t.h5") + ":raw", path("t.mha"), path("t.nii.gz"),
                                  path("t.nrrd"), "geotiff:" + path("t.tif")}) {
    round_trip(spec, spec.find("geotiff") == 0 ? image : volume, {});
  }
  round_trip(path("t.png"), image, {});
  for (const char* file : {"t.h5", "t.mha", "t.nii.gz", "t.nrrd", "t.tif", "t.png"})
    fs::resize_file(path(file), fs::file_size(path(file)) / 2);
  for (const std::string& spec : {path("t.h5") + ":raw", path("t.mha"), path("t.nii.gz"),
                                  path("t.nrrd"), "geotiff:" + path("t.tif"), path("t.png")}) {
    EXPECT_THROW(
        {
          auto src = open_volume(spec);
          src->read({Shape(src->info().size.size(), 0), src->info().size});
        },
        std::runtime_error)
        << spec;
  }
  std::ofstream(path("text.nrrd")) << "not an image\n";
  EXPECT_THROW(open_volume(path("text.nrrd")), std::runtime_error);
}

TEST_F(VolumeIo, UncommittedSinkLeavesNothing) {
  const VolumeInfo vol{1, {5, 7, 6}, {}, ""}, img{1, {9, 11}, {}, ""};
  for (const std::string& spec :
       {path("u.h5") + ":raw", path("u.mha"), path("u.nrrd"), path("u.nii.gz"), path("u.tif")}) {
    auto sink = create_volume(spec, vol, 1);
    sink->write({{0, 0, 0}, {2, 3, 3}}, pattern(1, {2, 3, 3}));
  }
  for (const std::string& spec : {"geotiff:" + path("u.tif"), path("u.png")}) {
    auto sink = create_volume(spec, img, 1);
    sink->write({{0, 0}, {3, 3}}, pattern(1, {3, 3}));
  }
  EXPECT_EQ(files_in_dir(), 0u);
}

TEST_F(VolumeIo, RegionOutsideOrWrongShapeIsInvalidArgument) {
  auto src = round_trip(path("v.h5") + ":raw", pattern(2, {5, 7, 6}), {});
  EXPECT_THROW(src->read({{4, 0, 0}, {2, 1, 1}}), std::invalid_argument);
  EXPECT_THROW(src->read({{0, 0}, {1, 1}}), std::invalid_argument);
  for (const std::string& spec : {path("w.h5") + ":raw", path("w.mha"), path("w.nrrd")}) {
    auto sink = create_volume(spec, VolumeInfo{1, {5, 7, 6}, {}, ""}, 2);
    EXPECT_THROW(sink->write({{0, 0, 5}, {1, 1, 2}}, pattern(2, {1, 1, 2})), std::invalid_argument);
    EXPECT_THROW(sink->write({{0, 0, 0}, {1, 1, 2}}, pattern(1, {1, 1, 2})), std::invalid_argument);
  }
  auto image = round_trip(path("v.png"), image_pattern(1, {9, 11}), {});
  EXPECT_THROW(image->read({{0, 10}, {1, 2}}), std::invalid_argument);
  EXPECT_THROW(create_volume(path("x.h5") + ":v", VolumeInfo{1, {4, 4}, {}, ""}, 1, "int7"),
               std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Real sample data (../shared/data beside the project), skipped when absent

std::string shared(const std::string& relative) {
  return std::string(TESSERA_SHARED_DATA) + "/" + relative;
}

#define REQUIRE_SHARED(relative)     \
  if (!fs::exists(shared(relative))) \
  GTEST_SKIP() << "shared data " << shared(relative) << " is absent; see ../shared/data/README.md"

// A sub-region read must equal the same part of a larger read: the hyperslab / streamed /
// cached paths agree on offsets.
void expect_consistent(VolumeSource& src, const Region& outer, const Region& inner) {
  const Tensor big = src.read(outer), small = src.read(inner);
  Region local = inner;
  for (size_t a = 0; a < local.origin.size(); ++a) local.origin[a] -= outer.origin[a];
  expect_close(small, TensorSource(big).read(local), 0.f, "inner " + inner.str());
}

TEST(SharedData, FibsemHdf5) {
  REQUIRE_SHARED("connectomics/fibsem_train.h5");
  auto raw = open_volume(shared("connectomics/fibsem_train.h5") + ":volumes/raw");
  EXPECT_EQ(raw->info().size, (Shape{50, 100, 200}));
  EXPECT_EQ(raw->info().channels, 1);
  const Tensor tile = raw->read({{10, 20, 30}, {8, 16, 32}});
  const auto values = tile.to_vector();
  EXPECT_TRUE(std::all_of(values.begin(), values.end(),
                          [](float v) { return v >= 0 && v <= 255 && v == std::floor(v); }));
  EXPECT_GT(*std::max_element(values.begin(), values.end()),
            *std::min_element(values.begin(), values.end()));
  expect_consistent(*raw, {{10, 20, 30}, {8, 16, 32}}, {{12, 25, 40}, {3, 4, 5}});
  auto labels = open_volume(shared("connectomics/fibsem_train.h5") + ":volumes/labels/neuron_ids");
  EXPECT_EQ(labels->info().size, (Shape{50, 100, 200}));
}

TEST(SharedData, IsbiTiffStack) {
  REQUIRE_SHARED("connectomics/isbi2012_train_volume.tif");
  auto stack = open_volume(shared("connectomics/isbi2012_train_volume.tif"));
  EXPECT_EQ(stack->info().size, (Shape{30, 512, 512}));
  EXPECT_EQ(stack->info().channels, 1);
  expect_consistent(*stack, {{5, 100, 200}, {4, 64, 64}}, {{7, 130, 210}, {2, 3, 9}});
  const auto values = stack->read({{29, 500, 500}, {1, 12, 12}}).to_vector();
  EXPECT_TRUE(
      std::all_of(values.begin(), values.end(), [](float v) { return v >= 0 && v <= 255; }));
}

TEST(SharedData, ElevationGeotiff) {
  REQUIRE_SHARED("grids/elev.tif");
  auto elev = open_volume("geotiff:" + shared("grids/elev.tif"));
  EXPECT_EQ(elev->info().size, (Shape{90, 95}));  // rows, columns
  EXPECT_EQ(elev->info().channels, 1);
  ASSERT_EQ(elev->info().spacing.size(), 2u);
  EXPECT_NEAR(elev->info().spacing[0], 1.0 / 120, 1e-6);
  EXPECT_NEAR(elev->info().spacing[1], 1.0 / 120, 1e-6);
  expect_consistent(*elev, {{10, 20}, {40, 50}}, {{15, 30}, {7, 9}});
}

}  // namespace
}  // namespace tessera
