#include "tessera/connectomics/preview.hpp"

#include <algorithm>
#include <stdexcept>

#include "tessera/formats/png.hpp"

namespace tessera::connectomics {

namespace {

// A stable, well-spread colour per id (a multiplicative hash of it).
void colour_of(uint64_t id, uint8_t rgb[3]) {
  const uint64_t h = id * 0x9E3779B97F4A7C15ull;
  for (int c = 0; c < 3; ++c) rgb[c] = uint8_t(64 + ((h >> (8 * c + 16)) & 0xBF));
}

}  // namespace

void write_segmentation_preview(const std::string& path, const Tensor& raw_in,
                                const LabelVolume& seg, int slices) {
  const Tensor raw = raw_in.to_plain();
  const Shape& s = seg.size;
  if (raw.numel() != seg.voxels())
    throw std::invalid_argument("preview: raw " + to_string(raw.shape()) + " and segmentation " +
                                to_string(s) + " differ in size");
  const int64_t d = s[0], h = s[1], w = s[2];
  const int64_t n = std::clamp<int64_t>(slices, 1, d);
  std::vector<float> sorted(raw.data(), raw.data() + raw.numel());
  std::sort(sorted.begin(), sorted.end());
  const float lo = sorted[sorted.size() / 100],
              hi = std::max(sorted[sorted.size() * 99 / 100], lo + 1e-6f);
  const int64_t gap = 8, width = n * w + (n - 1) * gap;
  std::vector<uint8_t> rgb(size_t(width * h * 3), 255);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t z = (2 * k + 1) * d / (2 * n);  // evenly spaced, away from the ends
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const int64_t i = (z * h + y) * w + x;
        const float g = std::clamp((raw.data()[i] - lo) / (hi - lo), 0.f, 1.f);
        const uint64_t id = seg.ids[size_t(i)];
        const bool edge = (x + 1 < w && seg.ids[size_t(i + 1)] != id) ||
                          (y + 1 < h && seg.ids[size_t(i + w)] != id);
        uint8_t c[3] = {0, 0, 0};
        if (id) colour_of(id, c);
        uint8_t* out = rgb.data() + 3 * ((y * width) + k * (w + gap) + x);
        for (int j = 0; j < 3; ++j) {
          const float grey = 255.f * g, mix = id ? 0.55f * grey + 0.45f * float(c[j]) : grey;
          out[j] = uint8_t(edge ? 0.35f * mix : mix);
        }
      }
  }
  write_rgb_png(path, int(width), int(h), rgb);
}

}  // namespace tessera::connectomics
