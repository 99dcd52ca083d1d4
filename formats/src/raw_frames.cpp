#include "raw_frames.hpp"

#include <cstdio>
#include <stdexcept>
#include <vector>

namespace tessera::formats {

namespace {

// A group is the smallest run of whole bytes holding whole samples.
struct Group {
  uint64_t samples, bytes;
};

Group group_of(int bits) {
  switch (bits) {
    case 8:
      return {1, 1};
    case 10:
      return {4, 5};
    case 12:
      return {2, 3};
    default:
      break;
  }
  return {1, 2};
}

}  // namespace

uint64_t frame_bytes(const RawLayout& layout) {
  const Group g = group_of(layout.bits);
  const uint64_t samples = static_cast<uint64_t>(layout.width * layout.height * layout.channels);
  return (samples + g.samples - 1) / g.samples * g.bytes;
}

void unpack_samples(int bits, const uint8_t* src, uint64_t groups, uint16_t* dst) {
  for (uint64_t i = 0; i < groups; ++i) {
    const uint8_t* b = src + i * group_of(bits).bytes;
    switch (bits) {
      case 8:
        dst[i] = b[0];
        break;
      case 12:  // b0 = p0[11:4], b1 = p0[3:0] p1[11:8], b2 = p1[7:0]
        dst[2 * i] = static_cast<uint16_t>(b[0] << 4 | b[1] >> 4);
        dst[2 * i + 1] = static_cast<uint16_t>((b[1] & 0x0F) << 8 | b[2]);
        break;
      case 10:  // 40 bits, p0 in the highest 10
        dst[4 * i] = static_cast<uint16_t>(b[0] << 2 | b[1] >> 6);
        dst[4 * i + 1] = static_cast<uint16_t>((b[1] & 0x3F) << 4 | b[2] >> 4);
        dst[4 * i + 2] = static_cast<uint16_t>((b[2] & 0x0F) << 6 | b[3] >> 2);
        dst[4 * i + 3] = static_cast<uint16_t>((b[3] & 0x03) << 8 | b[4]);
        break;
      default:  // 16-bit little-endian
        dst[i] = static_cast<uint16_t>(b[0] | b[1] << 8);
        break;
    }
  }
}

void read_frame_region(std::ifstream& in, const std::string& name, uint64_t offset,
                       const RawLayout& layout, int64_t y0, int64_t ny, int64_t x0, int64_t nx,
                       float* dst, int64_t channel_stride) {
  const int64_t W = layout.width, C = layout.channels;
  // The rows of the file that hold the rows asked for, contiguous in either row order.
  const int64_t first_row = layout.bottom_up ? layout.height - y0 - ny : y0;
  const Group g = group_of(layout.bits);
  const uint64_t s0 = static_cast<uint64_t>(first_row * W * C);
  const uint64_t s1 = s0 + static_cast<uint64_t>(ny * W * C);
  const uint64_t g0 = s0 / g.samples, g1 = (s1 + g.samples - 1) / g.samples;

  std::vector<uint8_t> bytes((g1 - g0) * g.bytes);
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset + g0 * g.bytes));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<size_t>(in.gcount()) != bytes.size())
    throw std::runtime_error("'" + name + "': truncated: the file ends inside a frame");
  std::vector<uint16_t> samples((g1 - g0) * g.samples);
  unpack_samples(layout.bits, bytes.data(), g1 - g0, samples.data());

  for (int64_t y = 0; y < ny; ++y) {
    const int64_t row = layout.bottom_up ? ny - 1 - y : y;  // within the rows read
    const uint16_t* src = samples.data() + (s0 - g0 * g.samples) + row * W * C + x0 * C;
    for (int64_t c = 0; c < C; ++c) {
      float* out = dst + c * channel_stride + y * nx;
      for (int64_t x = 0; x < nx; ++x) out[x] = static_cast<float>(src[x * C + c] >> layout.shift);
    }
  }
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace tessera::formats
