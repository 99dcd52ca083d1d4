#pragma once
// Shared by the high-speed camera readers (photron_mraw.cpp, phantom_cine.cpp; not installed):
// uncompressed frames stored as rows of samples, whole bytes (8 bit, 16-bit little-endian) or
// packed (12 bit: 2 samples in 3 bytes; 10 bit: 4 in 5; most significant bits first). A read
// fetches only the bytes of the rows asked for, so a clip never has to fit in memory.
#include <cstdint>
#include <fstream>
#include <string>

namespace tessera::formats {

struct RawLayout {
  int64_t width = 0, height = 0;
  int64_t channels = 1;    // interleaved samples per pixel (3: BGR)
  int bits = 16;           // stored bits per sample: 8, 16, 10 or 12
  int shift = 0;           // right shift of a 16-bit word whose value sits in its high bits
  bool bottom_up = false;  // the file's first row is the image's last (BMP order)
};

// Bytes one frame of `layout` occupies (packed frames round up to whole groups).
uint64_t frame_bytes(const RawLayout& layout);

// Unpacks `groups` groups of packed samples (12 bit: 3 bytes -> 2 samples; 10 bit: 5 bytes -> 4
// samples; 8 and 16 bit: one sample per 1 or 2 bytes) from `src` into `dst`.
void unpack_samples(int bits, const uint8_t* src, uint64_t groups, uint16_t* dst);

// Reads rows [y0, y0 + ny) x columns [x0, x0 + nx) of the frame that starts at byte `offset` of
// `in` into planar floats: sample (c, y, x) goes to dst[c * channel_stride + y * nx + x].
// runtime_error naming `name` when the file ends before the frame does.
void read_frame_region(std::ifstream& in, const std::string& name, uint64_t offset,
                       const RawLayout& layout, int64_t y0, int64_t ny, int64_t x0, int64_t nx,
                       float* dst, int64_t channel_stride);

// "%.9g": 90000, 1e-05; for the text attributes of VolumeInfo.
std::string number_text(double v);

// Little-endian integers from a byte buffer (the headers are little-endian on every platform).
inline uint64_t le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

}  // namespace tessera::formats
