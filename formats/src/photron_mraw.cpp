// Photron FASTCAM recordings: a .cihx header (a few lines of text, the "CIHX" signature, then
// XML <cih>...</cih>) beside a .mraw of raw frames back to back, top row first. The data
// checked against the shared clips: 16-bit words are little-endian with the value in the low
// bits (effectiveBit/side Lower); 12 bit is packed 2 pixels in 3 bytes, most significant first
// (p0 = b0 << 4 | b1 >> 4), which gives smooth images (neighbour correlation 0.99) where the
// other nibble order gives noise. recordInfo/shutterSpeed is a reciprocal: 50000 means 1/50000 s
// (shutterSpeedNsec, when there, says 20000 ns); the exposure is taken from the latter.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "format_common.hpp"
#include "raw_frames.hpp"

namespace tessera::formats {

namespace {

namespace fs = std::filesystem;

// The text of the element at `path` (each step nested in the one before), "" when absent.
std::string xml_text(const std::string& xml, std::initializer_list<const char*> path) {
  size_t begin = 0, end = xml.size();
  for (const char* tag : path) {
    const std::string open = std::string("<") + tag + ">";
    const std::string close = std::string("</") + tag + ">";
    const size_t at = xml.find(open, begin);
    if (at == std::string::npos || at >= end) return "";
    const size_t stop = xml.find(close, at);
    if (stop == std::string::npos || stop > end) return "";
    begin = at + open.size();
    end = stop;
  }
  std::string text = xml.substr(begin, end - begin);
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  text.erase(text.begin(), std::find_if_not(text.begin(), text.end(), space));
  while (!text.empty() && space(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The partner file: same stem, the other extension (lower case, else upper case if that exists).
std::string beside(const std::string& path, const std::string& ext) {
  fs::path p(path);
  const std::string lower_name = p.replace_extension(ext).string();
  std::string upper_ext = ext;
  for (char& c : upper_ext) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string upper_name = fs::path(path).replace_extension(upper_ext).string();
  return !fs::exists(lower_name) && fs::exists(upper_name) ? upper_name : lower_name;
}

struct Header {
  RawLayout layout;
  int64_t frames = 0;
  VolumeInfo info;
};

class Cihx {
 public:
  explicit Cihx(const std::string& path) : path_(path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("'" + path + "': cannot open");
    // A header is tens of kilobytes; read at most 16 MiB so a wrong file cannot exhaust memory.
    std::string text(16 << 20, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    const size_t magic = text.find("CIHX"), open = text.find("<cih>"), close = text.find("</cih>");
    if (magic == text.npos || open == text.npos || close == text.npos || magic > open)
      throw std::runtime_error("'" + path +
                               "': not a Photron CIHX header (no CIHX signature and <cih> XML)");
    xml_ = text.substr(open, close - open);
  }

  std::string text(std::initializer_list<const char*> path) const { return xml_text(xml_, path); }

  double number(std::initializer_list<const char*> path, const std::string& what) const {
    const std::string t = text(path);
    try {
      size_t used = 0;
      const double v = std::stod(t, &used);
      if (used == t.size()) return v;
    } catch (const std::exception&) {
    }
    throw std::runtime_error("'" + path_ + "': " + what + " is '" + t + "', not a number");
  }

 private:
  std::string path_, xml_;
};

Header read_header(const std::string& cihx_path) {
  const Cihx cih(cihx_path);
  Header h;
  const std::string format = lower(cih.text({"imageFileInfo", "fileFormat"}));
  if (format != "mraw")
    throw std::runtime_error("'" + cihx_path + "': image file format '" + format +
                             "' is not supported (only Mraw)");
  const std::string type = cih.text({"imageDataInfo", "colorInfo", "type"});
  if (type != "Mono" && type != "Raw")
    throw std::runtime_error("'" + cihx_path + "': colour type '" + type +
                             "' is not supported (Mono, or Raw: one sample per pixel)");
  const int bits = static_cast<int>(cih.number({"imageDataInfo", "colorInfo", "bit"}, "bit"));
  if (bits != 8 && bits != 12 && bits != 16)
    throw std::runtime_error("'" + cihx_path + "': unsupported bit depth " + std::to_string(bits) +
                             " (8, 12 packed or 16)");
  const int effective =
      static_cast<int>(cih.number({"imageDataInfo", "effectiveBit", "depth"}, "effective bits"));
  if (effective < 1 || effective > bits)
    throw std::runtime_error("'" + cihx_path + "': effective bit depth " +
                             std::to_string(effective) + " does not fit in " +
                             std::to_string(bits) + " bits");
  const bool high_side = lower(cih.text({"imageDataInfo", "effectiveBit", "side"})) == "higher";
  h.layout.width =
      static_cast<int64_t>(cih.number({"imageDataInfo", "resolution", "width"}, "width"));
  h.layout.height =
      static_cast<int64_t>(cih.number({"imageDataInfo", "resolution", "height"}, "height"));
  h.layout.bits = bits;
  h.layout.shift = bits == 16 && high_side ? 16 - effective : 0;
  h.frames = static_cast<int64_t>(cih.number({"frameInfo", "totalFrame"}, "totalFrame"));

  h.info.size = {h.frames, h.layout.height, h.layout.width};
  require_sensible_size(h.info, cihx_path);
  auto& a = h.info.attributes;
  a["frame_rate_hz"] = number_text(cih.number({"recordInfo", "recordRate"}, "recordRate"));
  if (!cih.text({"recordInfo", "shutterSpeedNsec"}).empty())
    a["exposure_s"] = number_text(cih.number({"recordInfo", "shutterSpeedNsec"}, "shutter") * 1e-9);
  else if (!cih.text({"recordInfo", "shutterSpeed"}).empty())
    a["exposure_s"] = number_text(1.0 / cih.number({"recordInfo", "shutterSpeed"}, "shutter"));
  a["bit_depth"] = std::to_string(effective);
  a["color_type"] = type;
  const std::string device = cih.text({"deviceInfo", "deviceName"});
  a["camera"] = device.empty() ? "Photron" : "Photron " + device;
  h.info.description = "Photron MRAW, " + std::to_string(bits) + "-bit" +
                       (bits == 12 ? " packed" : "") + ", " + std::to_string(h.frames) + " frames";
  return h;
}

class MrawSource final : public VolumeSource {
 public:
  MrawSource(const std::string& cihx, const std::string& mraw)
      : mraw_(mraw), header_(read_header(cihx)), in_(mraw, std::ios::binary) {
    if (!in_) throw std::runtime_error("'" + mraw + "': cannot open");
    frame_bytes_ = frame_bytes(header_.layout);
    const uint64_t need = frame_bytes_ * static_cast<uint64_t>(header_.frames);
    const uint64_t have = fs::file_size(mraw);
    if (have < need)
      throw std::runtime_error("'" + mraw + "': truncated: holds " + std::to_string(have) +
                               " bytes, but " + std::to_string(header_.frames) + " frames need " +
                               std::to_string(need) + " (from '" + cihx + "')");
  }
  const VolumeInfo& info() const override { return header_.info; }

  // [1, 1, t, y, x]: one seek per frame, reading only the rows asked for.
  Tensor read(const Region& region) override {
    require_inside(header_.info, region, mraw_);
    const int64_t nt = region.size[0], ny = region.size[1], nx = region.size[2];
    Tensor out = Tensor::empty(tensor_shape(1, region.size));
    for (int64_t t = 0; t < nt; ++t) {
      const uint64_t offset = static_cast<uint64_t>(region.origin[0] + t) * frame_bytes_;
      read_frame_region(in_, mraw_, offset, header_.layout, region.origin[1], ny, region.origin[2],
                        nx, out.data() + t * ny * nx, nt * ny * nx);
    }
    return out;
  }

 private:
  std::string mraw_;
  Header header_;
  std::ifstream in_;
  uint64_t frame_bytes_ = 0;
};

}  // namespace

std::unique_ptr<VolumeSource> open_photron(const std::string& path) {
  const bool given_mraw = lower(fs::path(path).extension().string()) == ".mraw";
  const std::string cihx = given_mraw ? beside(path, ".cihx") : path;
  const std::string mraw = given_mraw ? path : beside(path, ".mraw");
  if (!fs::is_regular_file(cihx))
    throw std::runtime_error("'" + path + "': its header '" + cihx + "' is missing");
  if (!fs::is_regular_file(mraw))
    throw std::runtime_error("'" + path + "': its frames '" + mraw + "' are missing");
  return std::make_unique<MrawSource>(cihx, mraw);
}

}  // namespace tessera::formats
