// Vision Research Phantom .cine: CINEFILEHEADER ("CI", offsets of the sections), a
// BITMAPINFOHEADER (size, bits per pixel, bytes per image), SETUP (frame rate, shutter,
// RealBPP), a table of 64-bit image offsets, and per image an annotation block (its first
// uint32 is its size) followed by the pixels. Offsets and quirks follow pims' cine.py (read,
// not copied): SETUP grew over the years, so a field is used only when SETUP.Length reaches it
// and it is non-zero, else the legacy 16-bit field at the start (FrameRate16, Shutter16 in us).
// Rows are bottom-up (biHeight > 0) for 8/16-bit data; packed 10/12-bit images are top-down
// (pims' observation); colour images (24/48 bits) interleave B, G, R.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "format_common.hpp"
#include "raw_frames.hpp"

namespace tessera::formats {

namespace {

namespace fs = std::filesystem;

// Byte offsets inside SETUP (the packed C struct of the Phantom SDK).
constexpr uint64_t kFrameRate16 = 0, kShutter16 = 2, kMark = 140, kLength = 142;
constexpr uint64_t kFrameRate = 768, kShutterUs = 772, kCameraVersion = 792, kCfa = 808;
constexpr uint64_t kRealBpp = 896, kShutterNs = 1568;

std::vector<uint8_t> read_at(std::ifstream& in, const std::string& path, uint64_t offset,
                             uint64_t size, const char* what) {
  std::vector<uint8_t> bytes(size);
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size)
    throw std::runtime_error("'" + path + "': truncated: the file ends inside the " + what);
  return bytes;
}

class CineSource final : public VolumeSource {
 public:
  explicit CineSource(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw std::runtime_error("'" + path + "': cannot open");
    const uint64_t file_size = fs::file_size(path);
    const auto head = read_at(in_, path, 0, 44, "file header");
    if (head[0] != 'C' || head[1] != 'I')
      throw std::runtime_error("'" + path + "': not a Phantom CINE file (no 'CI' signature)");
    if (le(&head[4], 2) != 0)
      throw std::runtime_error("'" + path + "': compressed CINE images are not supported");
    const uint64_t count = le(&head[20], 4), off_bitmap = le(&head[24], 4);
    const uint64_t off_setup = le(&head[28], 4), off_offsets = le(&head[32], 4);

    const auto bmp = read_at(in_, path, off_bitmap, 40, "BITMAPINFOHEADER");
    const int64_t width = static_cast<int32_t>(le(&bmp[4], 4));
    const int64_t height = static_cast<int32_t>(le(&bmp[8], 4));
    const uint64_t bit_count = le(&bmp[14], 2);
    image_bytes_ = le(&bmp[20], 4);
    layout_.width = width;
    layout_.height = height < 0 ? -height : height;
    info_.size = {static_cast<int64_t>(count), layout_.height, layout_.width};
    info_.channels = bit_count == 24 || bit_count == 48 ? 3 : 1;
    require_sensible_size(info_, path);
    set_layout(bit_count, height > 0);
    info_.channels = layout_.channels;

    read_setup(off_setup, off_offsets > off_setup ? off_offsets - off_setup : 0);
    if (off_offsets > file_size || (file_size - off_offsets) / 8 < count)
      throw std::runtime_error("'" + path + "': truncated: the table of " + std::to_string(count) +
                               " image offsets ends past the end of the file");
    offsets_.resize(count);
    const auto table = read_at(in_, path, off_offsets, 8 * count, "image offset table");
    for (uint64_t i = 0; i < count; ++i) {
      offsets_[i] = le(&table[8 * i], 8);
      // Every image needs at least its 8-byte annotation and its pixels inside the file.
      if (offsets_[i] > file_size || file_size - offsets_[i] < 8 + image_bytes_)
        throw std::runtime_error("'" + path + "': truncated: image " + std::to_string(i) + " of " +
                                 std::to_string(count) + " ends past the end of the file");
    }
  }
  const VolumeInfo& info() const override { return info_; }

  // [1, C, t, y, x]: per frame, the annotation size and then only the rows asked for.
  Tensor read(const Region& region) override {
    require_inside(info_, region, path_);
    const int64_t nt = region.size[0], ny = region.size[1], nx = region.size[2];
    Tensor out = Tensor::empty(tensor_shape(info_.channels, region.size));
    for (int64_t t = 0; t < nt; ++t) {
      const uint64_t start = offsets_[static_cast<size_t>(region.origin[0] + t)];
      const uint64_t annotation = le(read_at(in_, path_, start, 4, "annotation").data(), 4);
      read_frame_region(in_, path_, start + annotation, layout_, region.origin[1], ny,
                        region.origin[2], nx, out.data() + t * ny * nx, nt * ny * nx);
    }
    return out;
  }

 private:
  // Bits per sample from the bytes per image (pims' way: biBitCount says 16 for packed data).
  void set_layout(uint64_t bit_count, bool bottom_up) {
    const uint64_t pixels = static_cast<uint64_t>(layout_.width * layout_.height);
    const uint64_t per_pixel = image_bytes_ ? image_bytes_ * 8 / pixels : bit_count;
    layout_.channels = info_.channels;
    layout_.bits = static_cast<int>(per_pixel / static_cast<uint64_t>(layout_.channels));
    const int b = layout_.bits;
    if (per_pixel % static_cast<uint64_t>(layout_.channels) != 0 ||
        (b != 8 && b != 10 && b != 12 && b != 16) || (layout_.channels == 3 && b % 8 != 0))
      throw std::runtime_error("'" + path_ + "': unsupported bit depth " +
                               std::to_string(per_pixel) +
                               " bits per pixel (8, 16, packed 10 or 12, colour 24 or 48)");
    layout_.bottom_up = bottom_up && (b == 8 || b == 16);
    if (image_bytes_ == 0) image_bytes_ = frame_bytes(layout_);
    if (image_bytes_ < frame_bytes(layout_))
      throw std::runtime_error("'" + path_ + "': images of " + std::to_string(image_bytes_) +
                               " bytes are too small for their size and bit depth");
  }

  void read_setup(uint64_t off_setup, uint64_t room) {
    const uint64_t size = std::min<uint64_t>(room, kShutterNs + 4);
    const auto s = read_at(in_, path_, off_setup, size, "SETUP block");
    // SETUP.Length says how much of the struct this file has; very old files lack the mark.
    uint64_t length = s.size() >= kLength + 2 && s[kMark] == 'S' && s[kMark + 1] == 'T'
                          ? std::min<uint64_t>(le(&s[kLength], 2), s.size())
                          : s.size();
    const auto field = [&](uint64_t at, int bytes) -> uint64_t {
      return at + static_cast<uint64_t>(bytes) <= length ? le(&s[at], bytes) : 0;
    };
    const uint64_t rate = field(kFrameRate, 4) ? field(kFrameRate, 4) : field(kFrameRate16, 2);
    const double exposure = field(kShutterNs, 4)   ? field(kShutterNs, 4) * 1e-9
                            : field(kShutterUs, 4) ? field(kShutterUs, 4) * 1e-6
                                                   : field(kShutter16, 2) * 1e-6;
    const uint64_t real_bpp = field(kRealBpp, 4);
    const int bits = real_bpp > 0 && real_bpp <= 16 ? static_cast<int>(real_bpp) : layout_.bits;
    auto& a = info_.attributes;
    if (rate) a["frame_rate_hz"] = number_text(static_cast<double>(rate));
    if (exposure > 0) a["exposure_s"] = number_text(exposure);
    a["bit_depth"] = std::to_string(bits);
    a["camera"] = "Vision Research Phantom";
    if (field(kCameraVersion, 4))
      a["camera"] += " (camera version " + std::to_string(field(kCameraVersion, 4)) + ")";
    if (field(kCfa, 4)) a["cfa"] = std::to_string(field(kCfa, 4));
    info_.description = "Phantom CINE, " + std::to_string(layout_.bits) + "-bit samples, " +
                        std::to_string(info_.size[0]) + " frames";
  }

  std::string path_;
  std::ifstream in_;
  VolumeInfo info_;
  RawLayout layout_;
  uint64_t image_bytes_ = 0;
  std::vector<uint64_t> offsets_;
};

}  // namespace

std::unique_ptr<VolumeSource> open_phantom(const std::string& path) {
  return std::make_unique<CineSource>(path);
}

}  // namespace tessera::formats
