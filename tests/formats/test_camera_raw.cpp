// Camera raw formats and ordinary video as volumes of t, y, x: the shared Photron and Phantom
// clips against what their headers state, region reads against whole-frame reads, 12-bit
// unpacking of a hand-made pattern, a video written and read back, and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/formats/volume_io.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

const std::string kRaw = std::string(TESSERA_SHARED_DATA) + "/video/highspeed_raw";
const std::string kClean = std::string(TESSERA_SHARED_DATA) + "/video/clean";

#define REQUIRE_FILE(path) \
  if (!fs::exists(path)) GTEST_SKIP() << (path) << " absent"

class CameraRawTest : public testing::TempDirTest {
 protected:
  void copy_cut(const std::string& from, const std::string& to, size_t drop) {
    std::ifstream in(from, std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::ofstream(to, std::ios::binary) << bytes.substr(0, bytes.size() - drop);
  }
};

// Element (c, t, y, x) of a [1, C, T, H, W] tensor.
float at(const Tensor& v, int64_t c, int64_t t, int64_t y, int64_t x) {
  const Shape& s = v.shape();
  return v.data()[((c * s[2] + t) * s[3] + y) * s[4] + x];
}

// Checks the clip's header facts, that frame `t` lies in [0, 2^bits) and is not constant, and
// that a region read equals the same part of a whole-frame read.
void check_clip(const std::string& spec, const Shape& size, int bits, const std::string& fps,
                const std::string& exposure) {
  auto src = open_volume(spec);
  const VolumeInfo& info = src->info();
  EXPECT_EQ(info.size, size);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.attributes.at("bit_depth"), std::to_string(bits));
  EXPECT_EQ(info.attributes.at("frame_rate_hz"), fps);
  EXPECT_EQ(info.attributes.at("exposure_s"), exposure);
  EXPECT_FALSE(info.attributes.at("camera").empty());

  const int64_t T = size[0], H = size[1], W = size[2], t0 = T / 2;
  const Tensor whole = src->read({{t0 - 1, 0, 0}, {2, H, W}});
  const auto [lo, hi] = std::minmax_element(whole.data(), whole.data() + whole.numel());
  EXPECT_GE(*lo, 0.f);
  EXPECT_LT(*hi, std::ldexp(1.f, bits));
  EXPECT_LT(*lo, *hi) << "constant frames";

  // Odd origin and size, so packed groups are cut in the middle.
  const Region part{{t0, H / 3, 7}, {1, H / 4 + 1, W / 2 + 1}};
  const Tensor region = src->read(part);
  for (int64_t y = 0; y < part.size[1]; ++y)
    for (int64_t x = 0; x < part.size[2]; ++x)
      ASSERT_EQ(at(region, 0, 0, y, x), at(whole, 0, 1, part.origin[1] + y, part.origin[2] + x))
          << "y " << y << " x " << x;
}

TEST_F(CameraRawTest, PhotronSixteenBit) {
  REQUIRE_FILE(kRaw + "/photron/beam.cihx");
  check_clip(kRaw + "/photron/beam.cihx", {4, 80, 1024}, 12, "50000", "5e-06");
  EXPECT_EQ(open_volume(kRaw + "/photron/beam.cihx")->info().attributes.at("camera"),
            "Photron FASTCAM SA-Z type 2100K-M-64GB");
}

TEST_F(CameraRawTest, PhotronTwelveBitPackedByEitherName) {
  REQUIRE_FILE(kRaw + "/photron/ball_12bit.mraw");
  check_clip(kRaw + "/photron/ball_12bit.mraw", {15, 384, 384}, 12, "30000", "2e-05");
  // Unpacked in the right nibble order, neighbouring pixels are close (the wrong one is noise).
  const Tensor f = open_volume(kRaw + "/photron/ball_12bit.cihx")->read({{3, 0, 0}, {1, 384, 384}});
  double step = 0, spread = 0;
  for (int64_t i = 1; i < f.numel(); ++i) {
    step += std::abs(f.data()[i] - f.data()[i - 1]);
    spread += std::abs(f.data()[i] - f.data()[(i * 7919) % f.numel()]);
  }
  EXPECT_LT(step, 0.25 * spread);
}

TEST_F(CameraRawTest, PhantomCine) {
  REQUIRE_FILE(kRaw + "/phantom/cine_781.cine");
  check_clip(kRaw + "/phantom/cine_781.cine", {15, 256, 256}, 12, "90000", "1e-05");
  check_clip(kRaw + "/phantom/cine_legacy.cine", {97, 128, 128}, 14, "35087", "1e-06");
}

TEST_F(CameraRawTest, TwelveBitUnpackingOfAHandMadePattern) {
  // 2 x 2 pixels: bytes AB CD EF -> 0xABC, 0xDEF; 12 34 56 -> 0x123, 0x456.
  std::ofstream(path("p.cihx"), std::ios::binary)
      << "text line\r\nCIHX\r\n<cih><imageFileInfo><fileFormat>MRaw</fileFormat></imageFileInfo>"
         "<imageDataInfo><resolution><width>2</width><height>2</height></resolution>"
         "<colorInfo><type>Mono</type><bit>12</bit></colorInfo>"
         "<effectiveBit><depth>12</depth><side>Lower</side></effectiveBit></imageDataInfo>"
         "<frameInfo><totalFrame>1</totalFrame></frameInfo>"
         "<recordInfo><recordRate>1000</recordRate><shutterSpeed>2000</shutterSpeed></recordInfo>"
         "</cih>";
  std::ofstream(path("p.mraw"), std::ios::binary) << "\xAB\xCD\xEF\x12\x34\x56";
  auto src = open_volume(path("p.cihx"));
  EXPECT_EQ(src->info().attributes.at("exposure_s"), "0.0005");
  const Tensor v = src->read({{0, 0, 0}, {1, 2, 2}});
  EXPECT_EQ(at(v, 0, 0, 0, 0), 0xABC);
  EXPECT_EQ(at(v, 0, 0, 0, 1), 0xDEF);
  EXPECT_EQ(at(v, 0, 0, 1, 0), 0x123);
  EXPECT_EQ(at(v, 0, 0, 1, 1), 0x456);
  EXPECT_EQ(at(src->read({{0, 1, 1}, {1, 1, 1}}), 0, 0, 0, 0), 0x456);
  EXPECT_THROW(src->read({{0, 1, 1}, {1, 2, 1}}), std::invalid_argument);
  EXPECT_THROW(src->read({{1, 0, 0}, {1, 2, 2}}), std::invalid_argument);
}

TEST_F(CameraRawTest, TruncatedMissingOrWrongFilesThrowNamingTheFile) {
  REQUIRE_FILE(kRaw + "/photron/beam.cihx");
  fs::copy_file(kRaw + "/photron/beam.cihx", path("cut.cihx"));
  copy_cut(kRaw + "/photron/beam.mraw", path("cut.mraw"), 1000);
  std::string e = error_of([&] { open_volume(path("cut.cihx")); });
  EXPECT_NE(e.find(path("cut.mraw")), e.npos) << e;
  EXPECT_NE(e.find("truncated"), e.npos) << e;

  fs::copy_file(kRaw + "/photron/beam.cihx", path("alone.cihx"));
  e = error_of([&] { open_volume(path("alone.cihx")); });
  EXPECT_NE(e.find(path("alone.mraw")), e.npos) << e;
  EXPECT_NE(e.find("missing"), e.npos) << e;

  e = error_of([&] { open_volume(path("absent.cine")); });
  EXPECT_NE(e.find(path("absent.cine")), e.npos) << e;

  std::ofstream(path("wrong.cihx")) << "<xml>not a header</xml>";
  std::ofstream(path("wrong.mraw")) << "0000";
  e = error_of([&] { open_volume(path("wrong.cihx")); });
  EXPECT_NE(e.find(path("wrong.cihx")), e.npos) << e;
  EXPECT_NE(e.find("not a Photron"), e.npos) << e;

  std::ofstream(path("wrong.cine"), std::ios::binary) << std::string(200, 'X');
  e = error_of([&] { open_volume(path("wrong.cine")); });
  EXPECT_NE(e.find(path("wrong.cine")), e.npos) << e;
  EXPECT_NE(e.find("not a Phantom"), e.npos) << e;

  REQUIRE_FILE(kRaw + "/phantom/cine_781.cine");
  copy_cut(kRaw + "/phantom/cine_781.cine", path("cut.cine"), 5000);
  e = error_of([&] { open_volume(path("cut.cine")); });
  EXPECT_NE(e.find(path("cut.cine")), e.npos) << e;
  EXPECT_NE(e.find("truncated"), e.npos) << e;
  for (const char* line : {"\n", "\r"}) EXPECT_EQ(e.find(line), e.npos) << e;
}

// Smooth colour frames that change along time, so MJPG keeps them close.
Tensor video_pattern(int64_t T, int64_t H, int64_t W) {
  Tensor v = Tensor::empty({1, 3, T, H, W});
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x)
          v.data()[((c * T + t) * H + y) * W + x] =
              static_cast<float>(30 + 40 * c + x + y + 5 * t);  // <= 213
  return v;
}

// Frames [t0, t1) of a [1, C, T, H, W] tensor.
Tensor frames_of(const Tensor& v, int64_t t0, int64_t t1) {
  const Shape& s = v.shape();
  return TensorSource(v).read({{t0, 0, 0}, {t1 - t0, s[3], s[4]}});
}

TEST_F(CameraRawTest, VideoWrittenAsAviReadsBack) {
  const int64_t T = 6, H = 32, W = 48;
  VolumeInfo like{3, {T, H, W}, {}, "", {{"frame_rate_hz", "10"}}};
  const Tensor frames = video_pattern(T, H, W);
  {
    auto sink = create_volume(path("out.avi"), like, 3, "uint8");
    sink->write({{0, 0, 0}, {4, H, W}}, frames_of(frames, 0, 4));
    EXPECT_THROW(sink->write({{0, 0, 0}, {2, H, W}}, frames_of(frames, 0, 2)),
                 std::invalid_argument);  // not in time order
    sink->write({{4, 0, 0}, {2, H, W}}, frames_of(frames, 4, 6));
    EXPECT_FALSE(fs::exists(path("out.avi")));
    sink->commit();
  }
  EXPECT_EQ(files_in_dir(), 1u);
  auto src = open_volume(path("out.avi"));
  EXPECT_EQ(src->info().size, (Shape{T, H, W}));
  EXPECT_EQ(src->info().channels, 3);
  EXPECT_EQ(src->info().attributes.at("frame_rate_hz"), "10");
  const Tensor back = src->read(Region::whole({T, H, W}));
  double total = 0, worst = 0;
  for (int64_t i = 0; i < back.numel(); ++i) {
    const double d = std::abs(back.data()[i] - frames.data()[i]);
    total += d;
    worst = std::max(worst, d);
  }
  EXPECT_LT(total / static_cast<double>(back.numel()), 3.0);  // MJPG is lossy
  EXPECT_LT(worst, 30.0);
}

// FFmpeg writes grey frames as colour: a 1-channel video reads back as 3 equal channels.
TEST_F(CameraRawTest, GreyVideoReadsBackAsEqualChannels) {
  const int64_t T = 3, H = 16, W = 24;
  const Tensor grey = frames_of(video_pattern(T, H, W), 0, T);  // channel 0 only below
  Tensor one = Tensor::empty({1, 1, T, H, W});
  std::copy(grey.data(), grey.data() + one.numel(), one.data());
  auto sink = create_volume(path("grey.avi"), {1, {T, H, W}, {}, "", {}}, 1, "uint8");
  sink->write(Region::whole({T, H, W}), one);
  sink->commit();
  auto src = open_volume(path("grey.avi"));
  EXPECT_EQ(src->info().attributes.at("frame_rate_hz"), "25");
  const Tensor back = src->read(Region::whole({T, H, W}));
  ASSERT_EQ(back.numel(), src->info().channels * one.numel());
  for (int64_t c = 0; c < src->info().channels; ++c)
    for (int64_t i = 0; i < one.numel(); i += 13)
      EXPECT_NEAR(back.data()[c * one.numel() + i], one.data()[i], 12) << c << " " << i;
}

TEST_F(CameraRawTest, VideoSinkRefusesPartialFrames) {
  VolumeInfo like{1, {3, 16, 16}, {}, "", {}};
  auto sink = create_volume(path("g.mp4"), like, 1, "uint8");
  EXPECT_THROW(sink->write({{0, 0, 0}, {1, 8, 16}}, Tensor::zeros({1, 1, 1, 8, 16})),
               std::invalid_argument);
  EXPECT_THROW(create_volume(path("g.mkv"), like, 1, "uint8"), std::invalid_argument);
  EXPECT_THROW(create_volume(path("g.avi"), like, 2, "uint8"), std::invalid_argument);
}

TEST_F(CameraRawTest, VideoWindowsOverlapAndGoBack) {
  REQUIRE_FILE(kClean + "/cockatoo.mp4");
  auto src = open_volume(kClean + "/cockatoo.mp4");
  const Shape size = src->info().size;
  ASSERT_GE(size[0], 8);
  EXPECT_EQ(src->info().channels, 3);
  const Region first{{0, 0, 0}, {4, size[1], size[2]}};
  const Tensor a = src->read(first);
  const Tensor b = src->read({{2, 0, 0}, {4, size[1], size[2]}});  // overlaps, from the cache
  const Tensor c = src->read(first);                               // before the cache: reopens
  const int64_t frame = size[1] * size[2];
  for (int64_t i = 0; i < frame; i += 97) {
    EXPECT_EQ(at(b, 0, 0, i / size[2], i % size[2]), at(a, 0, 2, i / size[2], i % size[2]));
    EXPECT_EQ(c.data()[i], a.data()[i]);
  }
  const auto [lo, hi] = std::minmax_element(a.data(), a.data() + a.numel());
  EXPECT_GE(*lo, 0.f);
  EXPECT_LE(*hi, 255.f);
  EXPECT_LT(*lo, *hi);
  // The last frames decode too (the stated frame count is real).
  EXPECT_NO_THROW(src->read({{size[0] - 2, 0, 0}, {2, size[1], size[2]}}));
}

TEST_F(CameraRawTest, GifOpensAsVideo) {
  REQUIRE_FILE(kClean + "/newtonscradle.gif");
  auto src = open_volume(kClean + "/newtonscradle.gif");
  EXPECT_GE(src->info().size[0], 2);
  const Shape s = src->info().size;
  EXPECT_NO_THROW(src->read({{s[0] - 1, 0, 0}, {1, s[1], s[2]}}));
}

}  // namespace
}  // namespace tessera
