// TIFF by region with libtiff: integer types and channels round trip, tiled and separate-plane
// files written by libtiff itself read back, and broken files give one clear error.
#include <gtest/gtest.h>
#include <tiffio.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include "temp_dir.hpp"

#include "tessera/formats/volume_io.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;

class Tiff : public testing::TempDirTest {};

// Value of channel c at (z, y, x) in the test images: distinct, and exact in every type used.
float value(int64_t c, int64_t z, int64_t y, int64_t x) {
  return float(((c * 7 + z) * 31 + y) * 17 + x);
}

// A TIFF written directly with libtiff: `pages` pages of h x w, `samples` uint16 samples per
// pixel, tiled (16 x 16 tiles) or in strips of 3 rows, contiguous or separate planes.
void write_with_libtiff(const std::string& file, int pages, int h, int w, int samples, bool tiled,
                        bool separate) {
  TIFF* t = TIFFOpen(file.c_str(), "w");
  ASSERT_NE(t, nullptr);
  for (int z = 0; z < pages; ++z) {
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, samples);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 16);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, separate ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    if (tiled) {
      TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
      TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
    } else {
      TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 3);
    }
    const int planes = separate ? samples : 1, per_pixel = separate ? 1 : samples;
    const int bw = tiled ? 16 : w, bh = tiled ? 16 : 3;
    for (int p = 0; p < planes; ++p)
      for (int by = 0; by < h; by += bh)
        for (int bx = 0; bx < w; bx += bw) {
          std::vector<uint16_t> block(size_t(bw * bh * per_pixel), 0);
          for (int y = by; y < std::min(by + bh, h); ++y)
            for (int x = bx; x < std::min(bx + bw, w); ++x)
              for (int s = 0; s < per_pixel; ++s)
                block[size_t(((y - by) * bw + (x - bx)) * per_pixel + s)] =
                    uint16_t(value(separate ? p : s, z, y, x));
          const auto bytes = tmsize_t(block.size() * 2);
          if (tiled)
            TIFFWriteEncodedTile(t, TIFFComputeTile(t, bx, by, 0, uint16_t(p)), block.data(),
                                 bytes);
          else
            TIFFWriteEncodedStrip(t, TIFFComputeStrip(t, by, uint16_t(p)), block.data(),
                                  tmsize_t(std::min(bh, h - by) * w * per_pixel * 2));
        }
    TIFFWriteDirectory(t);
  }
  TIFFClose(t);
}

// Rows [from, from + rows) of a [1, C, D, H, W] volume.
Tensor crop_rows(const Tensor& v, int64_t from, int64_t rows) {
  Tensor out = Tensor::empty({v.dim(0), v.dim(1), v.dim(2), rows, v.dim(4)});
  float* o = out.data();
  for (int64_t c = 0; c < v.dim(1); ++c)
    for (int64_t z = 0; z < v.dim(2); ++z)
      for (int64_t y = from; y < from + rows; ++y)
        for (int64_t x = 0; x < v.dim(4); ++x)
          *o++ = v.data()[((c * v.dim(2) + z) * v.dim(3) + y) * v.dim(4) + x];
  return out;
}

void expect_values(VolumeSource& src, const Region& r) {
  const Tensor t = src.read(r);
  const bool stack = r.size.size() == 3;
  const int64_t d = stack ? r.size[0] : 1, h = r.size[stack], w = r.size[stack + 1];
  const float* v = t.data();
  for (int64_t c = 0; c < t.dim(1); ++c)
    for (int64_t z = 0; z < d; ++z)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x, ++v)
          ASSERT_EQ(*v, value(c, stack ? r.origin[0] + z : 0, r.origin[stack] + y,
                              r.origin[stack + 1] + x))
              << "channel " << c << " at " << z << "," << y << "," << x << " of " << r.str();
}

TEST_F(Tiff, TiledStripedContiguousAndSeparateFilesReadByRegion) {
  for (bool tiled : {false, true})
    for (bool separate : {false, true}) {
      const std::string file =
          path(std::string("t") + (tiled ? "t" : "s") + (separate ? "p" : "c") + ".tif");
      write_with_libtiff(file, 4, 37, 45, 2, tiled, separate);
      auto src = open_volume(file);
      EXPECT_EQ(src->info().size, (Shape{4, 37, 45}));
      EXPECT_EQ(src->info().channels, 2);
      EXPECT_NE(src->info().description.find("uint16"), std::string::npos);
      expect_values(*src, {{0, 0, 0}, {4, 37, 45}});
      expect_values(*src, {{1, 14, 15}, {2, 5, 19}});  // across tile and strip edges
      expect_values(*src, {{3, 36, 44}, {1, 1, 1}});
    }
}

TEST_F(Tiff, IntegerTypesAndChannelsRoundTrip) {
  const Shape size = {3, 10, 13};
  Tensor volume = Tensor::empty({1, 2, 3, 10, 13});
  for (int64_t c = 0, i = 0; c < 2; ++c)
    for (int64_t z = 0; z < 3; ++z)
      for (int64_t y = 0; y < 10; ++y)
        for (int64_t x = 0; x < 13; ++x) volume.data()[i++] = value(c, z, y, x);
  for (const char* type : {"uint16", "uint64", "float32"}) {
    const std::string file = path(std::string("rt_") + type + ".tif");
    auto sink = create_volume(file, {.channels = 2, .size = size}, 2, type);
    // Out of page order, as tiled inference writes.
    sink->write({{0, 5, 0}, {3, 5, 13}}, crop_rows(volume, 5, 5));
    sink->write({{0, 0, 0}, {3, 5, 13}}, crop_rows(volume, 0, 5));
    sink->commit();
    auto src = open_volume(file);
    EXPECT_EQ(src->info().size, size) << type;
    expect_values(*src, {{0, 0, 0}, size});
  }
  // uint64 is stored as 32-bit unsigned: large labels survive, beyond 2^32 - 1 they clamp.
  auto sink = create_volume(path("big.tif"), {.channels = 1, .size = {1, 3}}, 1, "uint64");
  sink->write({{0, 0}, {1, 3}}, Tensor::from_vector({1, 1, 1, 3}, {70000.f, 4e9f, 5e9f}));
  sink->commit();
  EXPECT_EQ(open_volume(path("big.tif"))->read({{0, 0}, {1, 3}}).to_vector(),
            (std::vector<float>{70000.f, 4e9f, 4294967295.f}));
}

// An 8-bit h x w page with `samples` samples per pixel written by libtiff with the given
// photometric interpretation and compression; sample values from `value`.
void write_page(const std::string& file, int h, int w, int samples, uint16_t photometric,
                uint16_t compression) {
  TIFF* t = TIFFOpen(file.c_str(), "w");
  ASSERT_NE(t, nullptr);
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, samples);
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_COMPRESSION, compression);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, photometric);
  TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
  if (compression == COMPRESSION_JPEG) {
    TIFFSetField(t, TIFFTAG_JPEGQUALITY, 95);
    TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);  // we hand it RGB
  }
  std::vector<uint8_t> row(size_t(w * samples));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < samples; ++c) row[size_t(x * samples + c)] = uint8_t(40 + c * 50 + x);
    ASSERT_EQ(TIFFWriteScanline(t, row.data(), uint32_t(y), 0), 1);
  }
  TIFFClose(t);
}

TEST_F(Tiff, WhiteIsZeroAndJpegYcbcrPagesReadAsDisplayed) {
  write_page(path("white.tif"), 16, 40, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_NONE);
  const Tensor white = open_volume(path("white.tif"))->read({{3, 5}, {1, 2}});
  EXPECT_EQ(white.to_vector(), (std::vector<float>{255.f - 45.f, 255.f - 46.f}));

  write_page(path("jpeg.tif"), 32, 40, 3, PHOTOMETRIC_YCBCR, COMPRESSION_JPEG);
  auto jpeg = open_volume(path("jpeg.tif"));
  ASSERT_EQ(jpeg->info().channels, 3);
  const Tensor rgb = jpeg->read({{8, 10}, {8, 20}});
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < 8 * 20; ++i)
      EXPECT_NEAR(rgb.data()[c * 160 + i], 40.f + c * 50.f + 10.f + float(i % 20), 6.f)
          << "channel " << c;
}

TEST_F(Tiff, BrokenFilesGiveOneLineErrors) {
  std::ofstream(path("text.tif")) << "not a tiff\n";
  EXPECT_THROW(open_volume(path("text.tif")), std::runtime_error);
  write_with_libtiff(path("cut.tif"), 3, 64, 64, 1, false, false);
  fs::resize_file(path("cut.tif"), fs::file_size(path("cut.tif")) / 3);
  try {
    auto src = open_volume(path("cut.tif"));
    src->read({Shape(src->info().size.size(), 0), src->info().size});
    FAIL() << "a truncated TIFF was read";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cut.tif"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace tessera
