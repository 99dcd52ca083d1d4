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

void write_segmentation_preview(const std::string& path, VolumeSource& raw, VolumeSource& seg,
                                int slices, const std::string& caption) {
  const VolumeInfo& ri = raw.info();
  const VolumeInfo& si = seg.info();
  if (ri.size != si.size || ri.size.size() != 3 || ri.channels != 1 || si.channels != 1 ||
      product(ri.size) == 0)
    throw std::invalid_argument("preview: raw " + std::to_string(ri.channels) + " x " +
                                to_string(ri.size) + " and segmentation " +
                                std::to_string(si.channels) + " x " + to_string(si.size) +
                                " must be single-channel 3D volumes of one size");
  const int64_t d = ri.size[0], h = ri.size[1], w = ri.size[2];
  const int64_t n = std::clamp<int64_t>(slices, 1, d);
  const int64_t gap = 8, width = n * w + (n - 1) * gap;
  std::vector<uint8_t> rgb(size_t(width * h * 3), 255);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t z = (2 * k + 1) * d / (2 * n);  // evenly spaced, away from the ends
    const Region slice{{z, 0, 0}, {1, h, w}};
    const Tensor g = raw.read(slice).to_plain(), ids = seg.read(slice).to_plain();
    // Grey levels from this slice's 1st and 99th percentiles.
    std::vector<float> sorted(g.data(), g.data() + g.numel());
    std::sort(sorted.begin(), sorted.end());
    const float lo = sorted[sorted.size() / 100];
    const float hi = std::max(sorted[sorted.size() * 99 / 100], lo + 1e-6f);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const int64_t i = y * w + x;
        const float grey = 255.f * std::clamp((g.data()[i] - lo) / (hi - lo), 0.f, 1.f);
        const uint64_t id = uint64_t(ids.data()[i]);
        const bool edge = (x + 1 < w && ids.data()[i + 1] != ids.data()[i]) ||
                          (y + 1 < h && ids.data()[i + w] != ids.data()[i]);
        uint8_t c[3] = {0, 0, 0};
        if (id) colour_of(id, c);
        uint8_t* out = rgb.data() + 3 * ((y * width) + k * (w + gap) + x);
        for (int j = 0; j < 3; ++j) {
          const float mix = id ? 0.55f * grey + 0.45f * float(c[j]) : grey;
          out[j] = uint8_t(edge ? 0.35f * mix : mix);
        }
      }
  }
  write_rgb_png(path, int(width), int(h), rgb, caption);
}

}  // namespace tessera::connectomics
