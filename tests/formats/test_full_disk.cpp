// Every writer on a full disk: the write fails with a one-line error naming the output, leaves
// nothing behind (no output, no temporary), and the process neither crashes nor reports
// success. Each writer runs in a child process whose files cannot grow past a few KiB.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "child_process.hpp"
#include "temp_dir.hpp"
#include "tessera/formats/line_plot.hpp"
#include "tessera/formats/png.hpp"
#include "tessera/formats/volume_io.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;
using testing::ChildEnd;
using testing::run_in_child;

constexpr uint64_t kDiskBytes = 8 << 10;

// [1, C, *size] of noise: no format compresses it below the disk's size.
Tensor noise(int64_t channels, const Shape& size) {
  Shape shape{1, channels};
  shape.insert(shape.end(), size.begin(), size.end());
  Tensor t = Tensor::empty(shape);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.f, 255.f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = u(rng);
  return t;
}

// Writes `volume` to `spec` in two halves along the last axis, as a tiled writer would.
void write_volume(const std::string& spec, const Tensor& volume, const std::string& type) {
  TensorSource source(volume);
  const VolumeInfo& info = source.info();
  auto sink = create_volume(spec, info, info.channels, type);
  Region left = Region::whole(info.size), right = left;
  left.size.back() /= 2;
  right.origin.back() = left.size.back();
  right.size.back() -= left.size.back();
  sink->write(left, source.read(left));
  sink->write(right, source.read(right));
  sink->commit();
}

struct Writer {
  std::string
      name;  // file or folder name in the test folder; a prefix such as geotiff: goes before it
  std::string prefix;
  Shape size;
  int64_t channels;
  std::string type;
};

void PrintTo(const Writer& w, std::ostream* os) {
  *os << w.prefix << w.name << " " << w.type;
}

class FullDisk : public testing::TempDirTest, public ::testing::WithParamInterface<Writer> {};

void expect_clean_failure(const ChildEnd& end, const std::string& output) {
  ASSERT_EQ(end.how, ChildEnd::How::threw) << "want an error; got: " << end.message;
  EXPECT_EQ(end.message.find('\n'), std::string::npos) << end.message;
  EXPECT_NE(end.message.find(fs::path(output).filename().string()), std::string::npos)
      << "the message names the output: " << end.message;
}

TEST_P(FullDisk, VolumeWriteFailsCleanly) {
  const Writer& w = GetParam();
  const std::string file = path(w.name);
  const Tensor volume = noise(w.channels, w.size);
  const ChildEnd end = run_in_child([&] { write_volume(w.prefix + file, volume, w.type); },
                                    {.max_file_bytes = kDiskBytes});
  expect_clean_failure(end, w.name);
  EXPECT_EQ(files_in_dir(), 0u) << "no output and no temporary is left behind";
}

TEST_P(FullDisk, VolumeWriteSucceedsWithRoom) {
  // The control: the same write with room to spare succeeds and reads back, so the failure
  // above is the disk's.
  const Writer& w = GetParam();
  const std::string file = path(w.name);
  const Tensor volume = noise(w.channels, w.size);
  const ChildEnd end = run_in_child([&] { write_volume(w.prefix + file, volume, w.type); },
                                    {.max_file_bytes = 64 << 20});
  ASSERT_EQ(end.how, ChildEnd::How::returned) << end.message;
  EXPECT_EQ(open_volume(w.prefix + file)->info().size, w.size);
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, FullDisk,
                         ::testing::Values(Writer{"v.h5:raw", "", {8, 48, 48}, 1, "float32"},
                                           Writer{"v.mha", "", {8, 48, 48}, 2, "float32"},
                                           Writer{"v.mhd", "", {8, 48, 48}, 1, "uint8"},
                                           Writer{"v.nrrd", "", {8, 48, 48}, 1, "float32"},
                                           Writer{"v.nii", "", {8, 48, 48}, 1, "uint16"},
                                           Writer{"v.nii.gz", "", {8, 48, 48}, 1, "float32"},
                                           Writer{"v.tif", "", {8, 48, 48}, 1, "float32"},
                                           Writer{"v2.tif", "", {96, 96}, 3, "uint8"},
                                           Writer{"g.tif", "geotiff:", {96, 96}, 2, "float32"},
                                           Writer{"v.png", "", {128, 128}, 3, "uint8"},
                                           Writer{"v.pgm", "", {128, 128}, 1, "uint16"},
                                           Writer{"slices/", "", {4, 64, 64}, 1, "float32"}),
                         [](const auto& info) {
                           std::string n = info.param.prefix + info.param.name;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

class FullDiskFigures : public testing::TempDirTest {};

TEST_F(FullDiskFigures, PngAndLinePlotFailCleanly) {
  std::vector<uint8_t> rgb(200 * 200 * 3);
  std::mt19937 rng(3);
  for (auto& b : rgb) b = static_cast<uint8_t>(rng());
  const std::string png = path("figure.png");
  expect_clean_failure(
      run_in_child([&] { write_rgb_png(png, 200, 200, rgb); }, {.max_file_bytes = kDiskBytes}),
      "figure.png");
  LinePlot plot{.title = "loss"};
  plot.series.push_back({"a", {0, 1, 2, 3}, {3, 1, 2, 0.5}});
  const std::string curve = path("curve.png");
  expect_clean_failure(
      run_in_child([&] { write_line_plot(curve, plot); }, {.max_file_bytes = 1 << 10}),
      "curve.png");
  EXPECT_EQ(files_in_dir(), 0u);
}

}  // namespace
}  // namespace tessera
