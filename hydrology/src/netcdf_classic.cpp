#include "netcdf_classic.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "reader_util.hpp"

namespace tessera::hydrology::detail {
namespace {

constexpr uint32_t kDimensionTag = 0x0A, kVariableTag = 0x0B, kAttributeTag = 0x0C;
constexpr uint64_t kStreaming = 0xFFFFFFFF;  // numrecs of a file still being written
constexpr uint64_t kMaxName = 256;           // NC_MAX_NAME

// Bytes of one value of a classic type (0 for none).
uint64_t type_size(uint32_t type, int version) {
  static const uint64_t sizes[] = {0, 1, 1, 2, 4, 4, 8, 1, 2, 4, 8, 8};
  const uint32_t last = version == 5 ? 11 : 6;
  return type >= 1 && type <= last ? sizes[type] : 0;
}

uint64_t padded(uint64_t n) {
  return (n + 3) / 4 * 4;
}

// Big-endian fields read in order, each checked against the bytes the file has left.
class HeaderReader {
 public:
  HeaderReader(const std::string& path, uint64_t size)
      : path_(path), size_(size), in_(path, std::ios::binary) {}

  [[noreturn]] void corrupt(const std::string& what) const {
    fail(path_, "corrupt NetCDF header: " + what + " (at byte " + std::to_string(at_) + " of " +
                    std::to_string(size_) + ")");
  }
  void need(uint64_t n, const std::string& what) {
    if (n > size_ - at_) corrupt(what + " runs past the end of the file");
  }
  uint64_t number(int bytes, const std::string& what) {
    need(uint64_t(bytes), what);
    unsigned char b[8] = {};
    in_.read(reinterpret_cast<char*>(b), bytes);
    if (!in_) fail(path_, "cannot be read");
    at_ += uint64_t(bytes);
    uint64_t v = 0;
    for (int k = 0; k < bytes; ++k) v = v << 8 | b[k];
    return v;
  }
  void skip(uint64_t n, const std::string& what) {
    need(n, what);
    in_.seekg(std::streamoff(n), std::ios::cur);
    at_ += n;
  }
  uint64_t size() const { return size_; }

 private:
  std::string path_;
  uint64_t size_, at_ = 0;
  std::ifstream in_;
};

struct Classic {
  int version = 1;
  int count_bytes() const { return version == 5 ? 8 : 4; }   // NON_NEG
  int offset_bytes() const { return version == 1 ? 4 : 8; }  // OFFSET
};

void skip_name(HeaderReader& r, const Classic& c) {
  const uint64_t n = r.number(c.count_bytes(), "a name's length");
  if (n == 0 || n > kMaxName) r.corrupt("a name of " + std::to_string(n) + " bytes");
  r.skip(padded(n), "a name");
}

// The tag and count of a list; an absent list is two zeros.
uint64_t list_count(HeaderReader& r, const Classic& c, uint32_t tag, uint64_t min_item_bytes,
                    const std::string& what) {
  const uint64_t t = r.number(4, what);
  const uint64_t n = r.number(c.count_bytes(), what);
  if (t == 0 && n == 0) return 0;
  if (t != tag) r.corrupt("expected the " + what + " list");
  // Each item takes at least `min_item_bytes`: more items than that leaves room for is a lie.
  if (n > r.size() / min_item_bytes) r.corrupt(std::to_string(n) + " " + what + "s");
  return n;
}

void skip_attributes(HeaderReader& r, const Classic& c) {
  const uint64_t n = list_count(r, c, kAttributeTag, 12, "attribute");
  for (uint64_t a = 0; a < n; ++a) {
    skip_name(r, c);
    const uint64_t size = type_size(uint32_t(r.number(4, "an attribute's type")), c.version);
    if (size == 0) r.corrupt("an attribute of unknown type");
    const uint64_t count = r.number(c.count_bytes(), "an attribute's length");
    if (count > r.size() / size) r.corrupt("an attribute of " + std::to_string(count) + " values");
    r.skip(padded(count * size), "an attribute's values");
  }
}

}  // namespace

void require_whole_classic_netcdf(const std::string& path) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec || size < 4) return;  // the library reports it
  HeaderReader r(path, size);
  const uint64_t magic = r.number(4, "the format");
  if (magic >> 8 != 0x434446) return;  // "CDF": not classic
  Classic c{int(magic & 0xFF)};
  if (c.version != 1 && c.version != 2 && c.version != 5) r.corrupt("unknown classic version");
  const uint64_t records = r.number(c.count_bytes(), "the record count");
  std::vector<uint64_t> dims;
  const uint64_t ndims = list_count(r, c, kDimensionTag, 8, "dimension");
  for (uint64_t d = 0; d < ndims; ++d) {
    skip_name(r, c);
    dims.push_back(r.number(c.count_bytes(), "a dimension's length"));
  }
  skip_attributes(r, c);
  // Where each variable's data ends, from its offset and its shape.
  double end = 0;
  uint64_t record_bytes = 0;
  std::vector<std::pair<uint64_t, uint64_t>> record_vars;  // begin, bytes per record
  const uint64_t nvars = list_count(r, c, kVariableTag, 16, "variable");
  for (uint64_t v = 0; v < nvars; ++v) {
    skip_name(r, c);
    const uint64_t rank = r.number(c.count_bytes(), "a variable's rank");
    if (rank > 1024) r.corrupt("a variable of rank " + std::to_string(rank));  // NC_MAX_VAR_DIMS
    double values = 1;
    bool record = false;
    for (uint64_t k = 0; k < rank; ++k) {
      const uint64_t id = r.number(c.count_bytes(), "a dimension id");
      if (id >= ndims) r.corrupt("dimension id " + std::to_string(id));
      if (k == 0 && dims[id] == 0)
        record = true;
      else
        values *= double(dims[id]);
    }
    skip_attributes(r, c);
    const uint64_t value_bytes = type_size(uint32_t(r.number(4, "a variable's type")), c.version);
    if (value_bytes == 0) r.corrupt("a variable of unknown type");
    r.number(c.count_bytes(), "a variable's size");  // redundant: computed from the shape
    const uint64_t begin = r.number(c.offset_bytes(), "a variable's offset");
    const double bytes = values * double(value_bytes);
    if (bytes > double(size_t(-1) / 2) || begin > size || bytes > double(size - begin))
      fail(path, "variable " + std::to_string(v) + " claims " + std::to_string(int64_t(values)) +
                     " values past the end of the file (" + std::to_string(size) +
                     " bytes): the file is cut short or corrupt");
    if (record) {
      record_vars.push_back({begin, uint64_t(bytes)});
      record_bytes += padded(uint64_t(bytes));
    } else {
      end = std::max(end, double(begin) + bytes);
    }
  }
  if (record_vars.size() == 1) record_bytes = record_vars[0].second;  // no padding for one
  if (records != kStreaming)
    for (const auto& [begin, bytes] : record_vars)
      if (records > 0)
        end = std::max<double>(
            end, double(begin) + double(records - 1) * double(record_bytes) + double(bytes));
  if (double(end) > double(size))
    fail(path, "the header places data up to byte " + std::to_string(uint64_t(end)) +
                   " but the file has " + std::to_string(size) + ": the file is cut short");
}

}  // namespace tessera::hydrology::detail
