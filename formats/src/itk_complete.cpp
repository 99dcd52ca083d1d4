// Truncation checks for the ITK formats whose readers miss it: MetaIO prints "data not read
// completely" and NIfTI zero-fills a short read, and both report success, so a file copied in
// part would read as a silently wrong volume. The size the header promises is checked against
// the file instead.
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "format_common.hpp"

namespace tessera::formats {

namespace {

namespace fs = std::filesystem;

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

[[noreturn]] void truncated(const std::string& path, uint64_t have, uint64_t need) {
  throw std::runtime_error("'" + path + "': truncated (image data has " + std::to_string(have) +
                           " of " + std::to_string(need) + " bytes)");
}

// MetaImage: "Key = Value" lines, ElementDataFile last; LOCAL data follows that line.
void require_meta_complete(const std::string& path, uint64_t data_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string line, data_file;
  bool compressed = false;
  while (data_file.empty() && std::getline(in, line) && line.size() < 4096) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key == "CompressedData") compressed = value == "True";
    if (key == "ElementDataFile") data_file = value;
  }
  if (compressed || data_file.empty()) return;  // compressed sizes are not known up front
  uint64_t have = 0;
  if (data_file == "LOCAL") {
    have = fs::file_size(path) - static_cast<uint64_t>(in.tellg());
  } else {
    const fs::path raw = fs::path(path).parent_path() / data_file;
    if (!fs::is_regular_file(raw)) return;  // file lists and patterns: MetaIO reports those
    have = fs::file_size(raw);
  }
  if (have < data_bytes) truncated(path, have, data_bytes);
}

// NIfTI-1 (.nii or .nii.gz): vox_offset (float at byte 108) + data. gzread also reads plain
// files, so one path serves both; a compressed file is decompressed once to count its bytes.
void require_nifti_complete(const std::string& path, uint64_t data_bytes) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return;
  char header[348];
  const int got = gzread(f, header, sizeof header);
  int32_t sizeof_hdr = 0;
  float vox_offset = 0;
  std::memcpy(&sizeof_hdr, header, 4);
  std::memcpy(&vox_offset, header + 108, 4);
  if (got != static_cast<int>(sizeof header) || sizeof_hdr != 348) {  // other byte order: skip
    gzclose(f);
    return;
  }
  const uint64_t need = static_cast<uint64_t>(vox_offset) + data_bytes;
  uint64_t have = fs::file_size(path);
  if (!gzdirect(f)) {
    std::string buffer(size_t{1} << 20, '\0');
    have = sizeof header;
    for (int n; (n = gzread(f, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0;)
      have += n;
  }
  gzclose(f);
  if (have < need) truncated(path, have, need);
}

}  // namespace

void require_complete_data(const std::string& path, const std::string& ext, uint64_t data_bytes) {
  if (ext == ".mha" || ext == ".mhd") require_meta_complete(path, data_bytes);
  if (ext == ".nii" || ext == ".nii.gz") require_nifti_complete(path, data_bytes);
}

}  // namespace tessera::formats
