// Completeness checks for the ITK formats, whose readers miss truncation and corruption: MetaIO
// prints "data not read completely" (or, for compressed data, an inflate error) and NIfTI
// zero-fills a short read, and both report success, so a file copied in part or corrupted would
// read as a silently wrong volume, partly from uninitialised memory. The image data the header
// promises is checked against the file instead: its size for raw data, what it inflates to for
// compressed data. The same checks verify a written file before it is renamed into place.
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "format_common.hpp"

namespace tessera::formats {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxHeaderLine = 4096;

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

[[noreturn]] void truncated(const std::string& path, uint64_t have, uint64_t need) {
  throw std::runtime_error("'" + path + "': truncated (image data has " + std::to_string(have) +
                           " of " + std::to_string(need) + " bytes)");
}

// A stream that inflates to more than its header promises is read this far past the promise
// for its end; beyond, it is taken as whole (the reader uses what the header promises).
constexpr uint64_t kInflateSlack = uint64_t{1} << 20;

// The zlib or gzip stream at `offset` of `path` inflates to at least `need` bytes and ends
// whole (zlib checks the stream's checksum at its end). runtime_error when the stream is
// corrupt, or the file ends first. Reading stops soon after `need` bytes: a header that
// promises little cannot make this read much.
void require_inflates_to(const std::string& path, uint64_t offset, uint64_t need) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK)  // 15 + 32: zlib or gzip header, found by zlib
    throw std::runtime_error("'" + path + "': cannot start decompressing");
  std::vector<unsigned char> input(size_t{1} << 16), output(size_t{1} << 18);
  uint64_t have = 0;
  int status = Z_OK;
  while (status == Z_OK && have < need + kInflateSlack) {
    if (z.avail_in == 0) {
      in.read(reinterpret_cast<char*>(input.data()), std::streamsize(input.size()));
      z.next_in = input.data();
      z.avail_in = static_cast<uInt>(in.gcount());
      if (z.avail_in == 0) break;  // the file ends inside the stream
    }
    z.next_out = output.data();
    z.avail_out = static_cast<uInt>(output.size());
    status = inflate(&z, Z_NO_FLUSH);
    have += output.size() - z.avail_out;
  }
  const std::string message = z.msg ? z.msg : "";
  inflateEnd(&z);
  if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
    throw std::runtime_error("'" + path + "': corrupt compressed image data (zlib: " +
                             (message.empty() ? "error " + std::to_string(status) : message) + ")");
  if (have < need) truncated(path, have, need);
  if (status != Z_STREAM_END && have < need + kInflateSlack)
    throw std::runtime_error("'" + path + "': truncated (the compressed image data has no end)");
}

// "Key = Value" (MetaImage) or "key: value" (NRRD) header lines, up to the line that ends the
// header; `data_at` is the offset of the first byte after it.
struct Header {
  std::vector<std::pair<std::string, std::string>> fields;
  uint64_t data_at = 0;

  std::string operator[](const std::string& key) const {
    for (const auto& [k, v] : fields)
      if (k == key) return v;
    return "";
  }
};

// MetaImage: ElementDataFile is the last field; LOCAL data follows its line.
Header read_meta_header(std::ifstream& in) {
  Header h;
  std::string line;
  while (std::getline(in, line) && line.size() < kMaxHeaderLine) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    h.fields.emplace_back(trim(line.substr(0, eq)), trim(line.substr(eq + 1)));
    if (h.fields.back().first == "ElementDataFile") {
      h.data_at = static_cast<uint64_t>(in.tellg());
      break;
    }
  }
  return h;
}

// NRRD: "key: value" lines (and "# comments") up to an empty line; data follows it.
Header read_nrrd_header(std::ifstream& in) {
  Header h;
  std::string line;
  while (std::getline(in, line) && line.size() < kMaxHeaderLine) {
    if (trim(line).empty()) {
      h.data_at = static_cast<uint64_t>(in.tellg());
      break;
    }
    const size_t colon = line.find(':');
    if (line.starts_with('#') || colon == std::string::npos) continue;
    const size_t value_at = line.compare(colon, 3, ":=") == 0 ? colon + 2 : colon + 1;
    h.fields.emplace_back(trim(line.substr(0, colon)), trim(line.substr(value_at)));
  }
  return h;
}

uint64_t bytes_after(const std::string& path, uint64_t offset) {
  const uint64_t size = fs::file_size(path);
  return size > offset ? size - offset : 0;
}

void require_meta_complete(const std::string& path, uint64_t data_bytes) {
  std::ifstream in(path, std::ios::binary);
  const Header h = read_meta_header(in);
  const std::string data_file = h["ElementDataFile"];
  if (data_file.empty() || h.data_at == 0) return;  // MetaIO reports a header it cannot read
  std::string data_path = path;
  uint64_t offset = h.data_at;
  if (data_file != "LOCAL") {
    data_path = (fs::path(path).parent_path() / data_file).string();
    offset = 0;
    if (!fs::is_regular_file(data_path)) return;  // file lists and patterns: MetaIO reports those
  }
  if (h["CompressedData"] == "True") {
    // MetaIO allocates what CompressedDataSize says before reading: it must be in the file.
    const std::string stated = h["CompressedDataSize"];
    if (!stated.empty())
      require_can_hold(path, std::strtoull(stated.c_str(), nullptr, 10),
                       bytes_after(data_path, offset));
    require_inflates_to(data_path, offset, data_bytes);
    return;
  }
  const uint64_t have = bytes_after(data_path, offset);
  if (have < data_bytes) truncated(path, have, data_bytes);
}

void require_nrrd_complete(const std::string& path, uint64_t data_bytes) {
  std::ifstream in(path, std::ios::binary);
  const Header h = read_nrrd_header(in);
  if (h.data_at == 0 || !h["data file"].empty() || !h["datafile"].empty()) return;
  const std::string encoding = h["encoding"];
  if (encoding == "raw") {
    const uint64_t have = bytes_after(path, h.data_at);
    if (have < data_bytes) truncated(path, have, data_bytes);
  } else if (encoding == "gzip" || encoding == "gz") {
    require_inflates_to(path, h.data_at, data_bytes);
  }  // ascii, hex, bzip2: teem's reader reports those short
}

// NIfTI-1 (.nii or .nii.gz): vox_offset (float at byte 108) + data. gzread also reads plain
// files, so one path reads both headers; a compressed file is inflated once to count its bytes.
void require_nifti_complete(const std::string& path, uint64_t data_bytes) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return;
  char header[348];
  const int got = gzread(f, header, sizeof header);
  int32_t sizeof_hdr = 0;
  float vox_offset = 0;
  std::memcpy(&sizeof_hdr, header, 4);
  std::memcpy(&vox_offset, header + 108, 4);
  if (got != static_cast<int>(sizeof header) || sizeof_hdr != 348 || !(vox_offset >= 0.f) ||
      vox_offset > 1e9f) {  // other byte order or a corrupt header: the reader reports it
    gzclose(f);
    return;
  }
  const uint64_t need = static_cast<uint64_t>(vox_offset) + data_bytes;
  const bool compressed = !gzdirect(f);
  gzclose(f);
  if (compressed) return require_inflates_to(path, 0, need);
  const uint64_t have = fs::file_size(path);
  if (have < need) truncated(path, have, need);
}

}  // namespace

void require_complete_data(const std::string& path, const std::string& ext, uint64_t data_bytes) {
  if (ext == ".mha" || ext == ".mhd") require_meta_complete(path, data_bytes);
  if (ext == ".nrrd" || ext == ".nhdr") require_nrrd_complete(path, data_bytes);
  if (ext == ".nii" || ext == ".nii.gz") require_nifti_complete(path, data_bytes);
}

}  // namespace tessera::formats
