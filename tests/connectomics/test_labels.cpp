// Label volumes through every format family that holds integers: ids above 16 bits and the
// voxel size come back; ids float32 cannot hold, fractional labels and 8-bit outputs are
// refused with a clear error.
#include <gtest/gtest.h>

#include <filesystem>

#include "temp_dir.hpp"
#include "tessera/connectomics/labels.hpp"
#include "tessera/formats/volume_io.hpp"

namespace tessera::connectomics {
namespace {

using LabelsTest = tessera::testing::TempDirTest;

LabelVolume sample_labels() {
  LabelVolume l{{3, 5, 4}, std::vector<uint64_t>(60), {4.0, 2.0, 2.0}};
  for (size_t i = 0; i < l.ids.size(); ++i) l.ids[i] = i % 7 == 0 ? 0 : 70000 + (i * 131) % 1000;
  return l;
}

TEST_F(LabelsTest, RoundTripThroughEveryIntegerFormat) {
  const LabelVolume l = sample_labels();
  for (const std::string name : {"l.h5:ids", "l.tif", "l.nrrd", "l.mha", "l.nii.gz", "slices/"}) {
    const std::string spec = path(name);
    write_labels(spec, l);
    const LabelVolume back = read_labels(spec);
    EXPECT_EQ(back.size, l.size) << name;
    EXPECT_EQ(back.ids, l.ids) << name;
    if (name != "l.h5:ids" && name != "slices/" && name != "l.tif") {  // formats with a voxel size
      ASSERT_EQ(back.spacing.size(), 3u) << name;
      for (size_t a = 0; a < 3; ++a) EXPECT_NEAR(back.spacing[a], l.spacing[a], 1e-6) << name;
    }
  }
}

TEST_F(LabelsTest, RefusesWhatItCannotHoldExactly) {
  LabelVolume big = sample_labels();
  big.ids[5] = uint64_t(1) << 24;
  EXPECT_THROW(write_labels(path("big.h5:ids"), big), std::invalid_argument);
  EXPECT_THROW(write_labels(path("l.png"), sample_labels()), std::invalid_argument);
  EXPECT_EQ(files_in_dir(), 0u);  // nothing half-written

  // A float volume with fractional values is not a label volume.
  Tensor t = Tensor::full({1, 1, 2, 2, 2}, 1.5f);
  auto sink = create_volume(path("f.h5:x"), {.channels = 1, .size = {2, 2, 2}}, 1);
  sink->write(Region::whole({2, 2, 2}), t);
  sink->commit();
  EXPECT_THROW(read_labels(path("f.h5:x")), std::invalid_argument);
}

// A 2D label image reads as one slice, spacing included, and can be written again.
TEST_F(LabelsTest, TwoDimensionalLabelsAreOneSlice) {
  auto sink = create_volume(path("l2.nrrd"), {.channels = 1, .size = {3, 4}, .spacing = {2.0, 0.5}},
                            1, "uint16");
  sink->write(Region::whole({3, 4}), Tensor::full({1, 1, 3, 4}, 7.f));
  sink->commit();
  const LabelVolume l = read_labels(path("l2.nrrd"));
  EXPECT_EQ(l.size, (Shape{1, 3, 4}));
  ASSERT_EQ(l.spacing.size(), 3u);
  EXPECT_NEAR(l.spacing[1], 2.0, 1e-9);
  write_labels(path("again.nrrd"), l);
  EXPECT_EQ(read_labels(path("again.nrrd")).ids, l.ids);
}

TEST_F(LabelsTest, RelabelSequentialKeepsBackgroundAndOrder) {
  LabelVolume l{{1, 1, 6}, {9, 0, 4, 9, 1000000, 4}, {}};
  EXPECT_EQ(relabel_sequential(l), 3u);
  EXPECT_EQ(l.ids, (std::vector<uint64_t>{1, 0, 2, 1, 3, 2}));
}

TEST_F(LabelsTest, FolderOfSlicesReadsInNaturalOrder) {
  // Slices named 1, 2, 10: a plain string sort would put 10 before 2.
  std::filesystem::create_directories(path("stack"));
  for (int z : {1, 2, 10}) {
    auto s = create_volume(path("stack/s" + std::to_string(z) + ".tif"),
                           {.channels = 1, .size = {2, 3}}, 1, "uint16");
    s->write(Region::whole({2, 3}), Tensor::full({1, 1, 2, 3}, float(z)));
    s->commit();
  }
  auto src = open_volume(path("stack"));
  ASSERT_EQ(src->info().size, (Shape{3, 2, 3}));
  const Tensor t = src->read({{1, 1, 0}, {2, 1, 3}}).to_plain();
  EXPECT_EQ(t.data()[0], 2.f);
  EXPECT_EQ(t.data()[3], 10.f);
  EXPECT_THROW(open_volume(path("no_such_folder/")), std::runtime_error);
}

}  // namespace
}  // namespace tessera::connectomics
