// TIFF images and multi-page stacks (.tif .tiff; pages are z), by region, with libtiff.
//
// Reading decodes only the strips or tiles, of only the pages, that a region touches: a stack
// larger than memory streams. Any sample type (8 to 64 bits, unsigned, signed, float), samples
// per pixel as channels, contiguous or separate planes, stripped or tiled pages.
//
// Writing: a TIFF's pages, and the strips of a page, are written in order, while tiled
// inference writes column after column. Regions are therefore staged in a temporary HDF5
// dataset beside the output (written by region, compressed), and commit() writes the pages in
// order, one page in memory at a time. Integer outputs keep their type; uint64 is stored as
// 32-bit unsigned (clamped), the widest integer that common TIFF readers take.
#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "format_common.hpp"

namespace tessera::formats {

namespace {

// The largest strip or tile a reader decodes at once.
constexpr uint64_t kMaxBlockBytes = uint64_t{1} << 30;

// libtiff reports through handlers; this keeps a file's last error for its exception.
struct Errors {
  std::string last = "unknown libtiff error";
};

int keep_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  char text[512];
  std::vsnprintf(text, sizeof text, fmt, ap);
  static_cast<Errors*>(user)->last = one_line((module ? std::string(module) + ": " : "") + text);
  return 1;
}

int ignore_warning(TIFF*, void*, const char*, const char*, va_list) {
  return 1;  // unknown tags and the like: not worth a line on every read
}

using TiffHandle = std::unique_ptr<TIFF, void (*)(TIFF*)>;

TiffHandle open_file(const std::string& path, const char* mode, Errors& errors) {
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(options, keep_error, &errors);
  TIFFOpenOptionsSetWarningHandlerExtR(options, ignore_warning, nullptr);
  TIFF* t = TIFFOpenExt(path.c_str(), mode, options);
  TIFFOpenOptionsFree(options);
  return TiffHandle(t, [](TIFF* p) {
    if (p) TIFFClose(p);
  });
}

// What one page holds and how it is cut into blocks (strips or tiles).
struct Page {
  uint32_t width = 0, height = 0;
  uint16_t samples = 1, bits = 8, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
  bool tiled = false;
  bool jpeg_ycbcr = false;                     // decoded as RGB by libtiff (JPEGCOLORMODE_RGB)
  bool min_is_white = false;                   // 0 is white: values are turned around on reading
  uint32_t block_width = 0, block_height = 0;  // a strip is the page's width wide

  bool operator==(const Page&) const = default;
};

const char* format_name(uint16_t format) {
  return format == SAMPLEFORMAT_IEEEFP ? "float" : format == SAMPLEFORMAT_INT ? "int" : "uint";
}

// The current page's layout. JPEG-compressed YCbCr pages are switched to RGB decoding here (a
// per-page setting), so read_page must run after every change of page.
Page read_page(TIFF* t) {
  Page p;
  uint16_t photometric = PHOTOMETRIC_MINISBLACK, compression = COMPRESSION_NONE;
  TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &p.width);
  TIFFGetField(t, TIFFTAG_IMAGELENGTH, &p.height);
  TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &compression);
  if (photometric == PHOTOMETRIC_YCBCR) {
    if (compression != COMPRESSION_JPEG)
      throw std::runtime_error("YCbCr pages without JPEG compression are not read; save as RGB");
    TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    p.jpeg_ycbcr = true;
  }
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &p.samples);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &p.bits);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &p.format);
  TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &p.planar);
  p.tiled = TIFFIsTiled(t);
  if (p.tiled) {
    TIFFGetField(t, TIFFTAG_TILEWIDTH, &p.block_width);
    TIFFGetField(t, TIFFTAG_TILELENGTH, &p.block_height);
  } else {
    p.block_width = p.width;
    TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &p.block_height);
    p.block_height = std::min(p.block_height, p.height);
  }
  if (photometric == PHOTOMETRIC_PALETTE)
    throw std::runtime_error("palette (colour-mapped) images are not read; save as grey or RGB");
  const bool known_format = p.format == SAMPLEFORMAT_UINT || p.format == SAMPLEFORMAT_INT ||
                            p.format == SAMPLEFORMAT_IEEEFP;
  const bool known_bits = p.bits == 8 || p.bits == 16 || p.bits == 32 || p.bits == 64;
  if (!known_format || !known_bits || (p.format == SAMPLEFORMAT_IEEEFP && p.bits < 32))
    throw std::runtime_error(std::to_string(p.bits) + "-bit " + format_name(p.format) +
                             " samples are not read (8 to 64-bit integers, 32 or 64-bit floats)");
  p.min_is_white = photometric == PHOTOMETRIC_MINISWHITE;
  if (p.min_is_white && p.format != SAMPLEFORMAT_UINT)
    throw std::runtime_error("white-is-zero pages of signed or float samples are not read");
  if (p.width == 0 || p.height == 0 || p.samples == 0 || p.block_width == 0 || p.block_height == 0)
    throw std::runtime_error("a page of zero width or height");
  return p;
}

template <typename T>
float sample_at(const unsigned char* data, size_t index) {
  T v;
  std::memcpy(&v, data + index * sizeof(T), sizeof(T));
  return static_cast<float>(v);
}

float sample(const Page& p, const unsigned char* data, size_t index) {
  if (p.format == SAMPLEFORMAT_IEEEFP)
    return p.bits == 32 ? sample_at<float>(data, index) : sample_at<double>(data, index);
  const bool sign = p.format == SAMPLEFORMAT_INT;
  switch (p.bits) {
    case 8:
      return sign ? sample_at<int8_t>(data, index) : sample_at<uint8_t>(data, index);
    case 16:
      return sign ? sample_at<int16_t>(data, index) : sample_at<uint16_t>(data, index);
    case 32:
      return sign ? sample_at<int32_t>(data, index) : sample_at<uint32_t>(data, index);
    default:
      return sign ? sample_at<int64_t>(data, index) : sample_at<uint64_t>(data, index);
  }
}

std::string type_name(const Page& p) {
  return format_name(p.format) + std::to_string(p.bits);
}

class TiffSource final : public VolumeSource {
 public:
  explicit TiffSource(const std::string& path) : path_(path), tiff_(open_file(path, "r", errors_)) {
    if (!tiff_) fail("not a readable TIFF file (" + errors_.last + ")");
    // Every page's directory offset, found once: selecting a page by number would walk the
    // chain of pages from the first each time.
    const uint64_t file_bytes = std::filesystem::file_size(path);
    while (true) {
      offsets_.push_back(TIFFCurrentDirOffset(tiff_.get()));
      const Page page = checked_page();
      if (offsets_.size() == 1) page_ = page;
      if (!(page == page_))
        fail("page " + std::to_string(offsets_.size() - 1) +
             " differs in size or sample type from page 0");
      require_directory_inside(offsets_.back(), file_bytes);
      require_blocks_inside(offsets_.size() - 1, file_bytes);
      if (TIFFLastDirectory(tiff_.get())) break;
      // A page follows: it must be readable, or the stack would silently lose its end.
      if (!TIFFReadDirectory(tiff_.get()))
        fail("truncated or corrupt: page " + std::to_string(offsets_.size()) + " cannot be read (" +
             errors_.last + ")");
    }
    current_page_ = -1;
    const auto pages = static_cast<int64_t>(offsets_.size());
    info_.channels = page_.samples;
    info_.size = {page_.height, page_.width};
    if (pages > 1) info_.size.insert(info_.size.begin(), pages);
    require_sensible_size(info_, path_);
    info_.description = type_name(page_) + " TIFF, " + std::to_string(pages) + " page(s)";
  }

  const VolumeInfo& info() const override { return info_; }

  Tensor read(const Region& region) override {
    require_inside(info_, region, path_);
    Tensor out = Tensor::zeros(tensor_shape(info_.channels, region.size));
    const bool stack = region.size.size() == 3;
    const int64_t z0 = stack ? region.origin[0] : 0, depth = stack ? region.size[0] : 1;
    const int64_t y0 = region.origin[stack], x0 = region.origin[stack + 1];
    const int64_t height = region.size[stack], width = region.size[stack + 1];
    for (int64_t z = 0; z < depth; ++z) {
      select(z0 + z);
      // Every block (strip or tile) that meets the region's rows and columns, per plane.
      const int64_t bw = page_.block_width, bh = page_.block_height;
      const int planes = page_.planar == PLANARCONFIG_SEPARATE ? page_.samples : 1;
      for (int plane = 0; plane < planes; ++plane)
        for (int64_t by = y0 / bh * bh; by < y0 + height; by += bh)
          for (int64_t bx = x0 / bw * bw; bx < x0 + width; bx += bw) {
            const unsigned char* block = decode(bx, by, plane);
            copy_block(block, bx, by, plane, region, z, out);
          }
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("'" + path_ + "': " + what);
  }

  Page checked_page() const {
    try {
      return read_page(tiff_.get());
    } catch (const std::runtime_error& e) {
      fail(e.what());
    }
  }

  // The page's directory, with the offset of the next one at its end, lies inside the file:
  // libtiff takes a directory cut inside that offset as the last one, so a stack cut there
  // would read as a shorter stack.
  void require_directory_inside(toff_t offset, uint64_t file_bytes) const {
    const bool big = TIFFIsBigTIFF(tiff_.get());
    std::ifstream in(path_, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    unsigned char count_bytes[8] = {};
    in.read(reinterpret_cast<char*>(count_bytes), big ? 8 : 2);
    const bool big_endian = TIFFIsBigEndian(tiff_.get());  // the file's order, not the machine's
    const int width = big ? 8 : 2;
    uint64_t entries = 0;
    for (int i = 0; i < width; ++i)
      entries = entries << 8 | count_bytes[big_endian ? i : width - 1 - i];
    const uint64_t end = big ? offset + 8 + entries * 20 + 8 : offset + 2 + entries * 12 + 4;
    if (!in || entries > (uint64_t{1} << 32) || end > file_bytes)
      fail("truncated or corrupt: the directory of page " + std::to_string(offsets_.size() - 1) +
           " ends beyond the end of the file");
  }

  // Every strip or tile of the current page lies inside the file, and none decodes to more
  // than kMaxBlockBytes: a truncated file or a hostile header is refused when opened, not
  // read as zeros or allocated.
  void require_blocks_inside(size_t page, uint64_t file_bytes) const {
    TIFF* t = tiff_.get();
    const tmsize_t block_bytes = page_.tiled ? TIFFTileSize(t) : TIFFStripSize(t);
    if (block_bytes <= 0 || uint64_t(block_bytes) > kMaxBlockBytes)
      fail("page " + std::to_string(page) + " has blocks (strips or tiles) of " +
           std::to_string(block_bytes) + " bytes (a corrupt header?)");
    const uint32_t blocks = page_.tiled ? TIFFNumberOfTiles(t) : TIFFNumberOfStrips(t);
    for (uint32_t b = 0; b < blocks; ++b) {
      int error = 0;
      const uint64_t offset = TIFFGetStrileOffsetWithErr(t, b, &error);
      const uint64_t bytes = TIFFGetStrileByteCountWithErr(t, b, &error);
      if (error || offset > file_bytes || bytes > file_bytes - offset)
        fail("truncated or corrupt: data of page " + std::to_string(page) + " ends at byte " +
             std::to_string(offset + bytes) + " of a file of " + std::to_string(file_bytes));
    }
  }

  void select(int64_t z) {
    if (current_page_ == z) return;
    current_page_ = -1;  // unknown until the switch succeeds
    cached_page_ = -1;
    if (!TIFFSetSubDirectory(tiff_.get(), offsets_[size_t(z)]))
      fail("cannot read page " + std::to_string(z) + " (" + errors_.last + ")");
    checked_page();  // per-page decoding settings (JPEG colour mode)
    current_page_ = z;
  }

  // Decodes the block at (bx, by) of `plane` on the current page; the last one is kept, since
  // consecutive regions of a stream often share it.
  const unsigned char* decode(int64_t bx, int64_t by, int plane) {
    TIFF* t = tiff_.get();
    const uint32_t index = page_.tiled
                               ? TIFFComputeTile(t, uint32_t(bx), uint32_t(by), 0, uint16_t(plane))
                               : TIFFComputeStrip(t, uint32_t(by), uint16_t(plane));
    if (cached_page_ == current_page_ && cached_index_ == index) return block_.data();
    const tmsize_t size = page_.tiled ? TIFFTileSize(t) : TIFFStripSize(t);
    block_.resize(static_cast<size_t>(size));
    const tmsize_t got = page_.tiled ? TIFFReadEncodedTile(t, index, block_.data(), size)
                                     : TIFFReadEncodedStrip(t, index, block_.data(), size);
    if (got < 0) {
      cached_page_ = -1;
      fail("corrupt or truncated data on page " + std::to_string(current_page_) + " (" +
           errors_.last + ")");
    }
    cached_page_ = current_page_;
    cached_index_ = index;
    return block_.data();
  }

  // Copies the part of a decoded block inside `region` into slice z of `out` [1, C, *size].
  void copy_block(const unsigned char* block, int64_t bx, int64_t by, int plane,
                  const Region& region, int64_t z, Tensor& out) const {
    const bool stack = region.size.size() == 3;
    const int64_t y0 = region.origin[stack], x0 = region.origin[stack + 1];
    const int64_t height = region.size[stack], width = region.size[stack + 1];
    const int64_t bw = page_.block_width, samples = page_.samples;
    const bool separate = page_.planar == PLANARCONFIG_SEPARATE;
    const int64_t per_pixel = separate ? 1 : samples;
    const int64_t ya = std::max(y0, by),
                  yb = std::min({y0 + height, by + page_.block_height, int64_t(page_.height)});
    const int64_t xa = std::max(x0, bx), xb = std::min({x0 + width, bx + bw, int64_t(page_.width)});
    float* o = out.data();
    // White-is-zero pages: the largest unsigned value is black.
    const float white = float(std::ldexp(1.0, page_.bits) - 1.0);
    const int64_t depth = stack ? region.size[0] : 1;
    for (int64_t c = separate ? plane : 0; c < (separate ? plane + 1 : samples); ++c)
      for (int64_t y = ya; y < yb; ++y)
        for (int64_t x = xa; x < xb; ++x) {
          const size_t at = size_t(((y - by) * bw + (x - bx)) * per_pixel + (separate ? 0 : c));
          const float v = sample(page_, block, at);
          o[((c * depth + z) * height + (y - y0)) * width + (x - x0)] =
              page_.min_is_white ? white - v : v;
        }
  }

  std::string path_;
  Errors errors_;
  TiffHandle tiff_;
  Page page_;
  std::vector<toff_t> offsets_;  // of each page's directory
  int64_t current_page_ = -1;
  int64_t cached_page_ = -1;
  uint32_t cached_index_ = 0;
  std::vector<unsigned char> block_;
  VolumeInfo info_;
};

// The sample type a requested type is stored as: uint64 becomes 32-bit unsigned.
struct Stored {
  uint16_t bits, format;
};

Stored stored_as(DType type) {
  switch (type) {
    case DType::u8:
      return {8, SAMPLEFORMAT_UINT};
    case DType::u16:
      return {16, SAMPLEFORMAT_UINT};
    case DType::u64:
      return {32, SAMPLEFORMAT_UINT};
    case DType::f32:
      break;
  }
  return {32, SAMPLEFORMAT_IEEEFP};
}

// Planar floats [C, pixels] -> interleaved samples of T.
template <typename T>
void encode(const float* in, int64_t pixels, int64_t channels, unsigned char* out) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t v = 0; v < pixels; ++v) {
      const T value = to_stored<T>(in[c * pixels + v]);
      std::memcpy(out + size_t(v * channels + c) * sizeof(T), &value, sizeof(T));
    }
}

void encode(DType type, const float* in, int64_t pixels, int64_t channels, unsigned char* out) {
  switch (type) {
    case DType::u8:
      return encode<uint8_t>(in, pixels, channels, out);
    case DType::u16:
      return encode<uint16_t>(in, pixels, channels, out);
    case DType::u64:
      return encode<uint32_t>(in, pixels, channels, out);
    case DType::f32:
      break;
  }
  encode<float>(in, pixels, channels, out);
}

void set_page_fields(TIFF* t, int64_t width, int64_t height, int64_t channels, Stored s,
                     uint32_t rows_per_strip) {
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, uint32_t(width));
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, uint32_t(height));
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, uint16_t(channels));
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s.bits);
  TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, s.format);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
  TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows_per_strip);
  if (channels > 1) {
    const std::vector<uint16_t> extra(size_t(channels - 1), EXTRASAMPLE_UNSPECIFIED);
    TIFFSetField(t, TIFFTAG_EXTRASAMPLES, uint16_t(extra.size()), extra.data());
  }
}

// Writes `source` (the staged volume) as TIFF pages to `path`, a strip at a time.
void write_pages(VolumeSource& source, const std::string& path, DType type,
                 const std::string& name) {
  const VolumeInfo& info = source.info();
  const bool stack = info.size.size() == 3;
  const int64_t pages = stack ? info.size[0] : 1, height = info.size[stack],
                width = info.size[stack + 1], channels = info.channels;
  const Stored stored = stored_as(type);
  const int64_t row_bytes = width * channels * stored.bits / 8;
  const double bytes = double(pages * height * row_bytes);
  Errors errors;
  // Classic TIFF addresses 4 GiB; BigTIFF beyond.
  TiffHandle tiff = open_file(path, bytes > 3.5 * double(1u << 30) ? "w8" : "w", errors);
  if (!tiff) throw std::runtime_error("'" + name + "': cannot create (" + errors.last + ")");
  TIFF* t = tiff.get();
  const auto rows_per_strip = static_cast<uint32_t>(
      std::clamp<int64_t>((int64_t{64} << 10) / std::max<int64_t>(row_bytes, 1), 1, height));
  std::vector<unsigned char> strip;
  for (int64_t z = 0; z < pages; ++z) {
    set_page_fields(t, width, height, channels, stored, rows_per_strip);
    if (stack) {
      TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
      if (pages <= 65535) TIFFSetField(t, TIFFTAG_PAGENUMBER, uint16_t(z), uint16_t(pages));
    }
    for (int64_t y = 0, s = 0; y < height; y += rows_per_strip, ++s) {
      const int64_t rows = std::min<int64_t>(rows_per_strip, height - y);
      const Region r = stack ? Region{{z, y, 0}, {1, rows, width}} : Region{{y, 0}, {rows, width}};
      const Tensor part = source.read(r);
      strip.resize(size_t(rows * row_bytes));
      encode(type, part.data(), rows * width, channels, strip.data());
      if (TIFFWriteEncodedStrip(t, uint32_t(s), strip.data(), tmsize_t(strip.size())) < 0)
        throw std::runtime_error("'" + name + "': cannot write (" + errors.last + ")");
    }
    if (!TIFFWriteDirectory(t))
      throw std::runtime_error("'" + name + "': cannot write (" + errors.last + ")");
  }
}

class TiffSink final : public VolumeSink {
 public:
  TiffSink(const std::string& path, const VolumeInfo& like, int64_t channels, DType type)
      : path_(path),
        type_(type),
        out_(path),
        stage_path_(out_.temp_path() + ".stage.h5"),
        stage_(create_hdf5(stage_path_, "stage", {channels, like.size, like.spacing, ""}, channels,
                           DType::f32)) {}

  ~TiffSink() override {
    std::error_code ec;
    std::filesystem::remove(stage_path_, ec);
  }

  void write(const Region& region, const Tensor& data) override {
    if (!stage_) throw std::logic_error("'" + path_ + "': written after commit");
    staging([&] { stage_->write(region, data); });
  }

  void commit() override {
    if (!stage_) throw std::logic_error("'" + path_ + "': committed twice");
    staging([&] { stage_->commit(); });
    stage_.reset();
    {
      const auto staged = open_hdf5(stage_path_, "stage");
      write_pages(*staged, out_.temp_path(), type_, path_);
    }
    out_.commit();
  }

 private:
  // Runs `f` on the staged volume; its failures (a full disk) name the output, not the stage.
  template <typename F>
  void staging(F f) {
    try {
      f();
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      const size_t reason = what.find("': ");
      throw std::runtime_error("'" + path_ + "': cannot write: " +
                               (reason == what.npos ? what : what.substr(reason + 3)));
    }
  }

  std::string path_;
  DType type_;
  AtomicFile out_;
  std::string stage_path_;
  std::unique_ptr<VolumeSink> stage_;
};

}  // namespace

std::unique_ptr<VolumeSource> open_tiff(const std::string& path) {
  return std::make_unique<TiffSource>(path);
}

std::unique_ptr<VolumeSink> create_tiff(const std::string& path, const VolumeInfo& like,
                                        int64_t channels, DType type) {
  return std::make_unique<TiffSink>(path, like, channels, type);
}

}  // namespace tessera::formats
