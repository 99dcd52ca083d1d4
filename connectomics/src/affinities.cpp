#include "tessera/connectomics/affinities.hpp"

#include <stdexcept>

namespace tessera::connectomics {

std::vector<Offset> default_offsets() {
  return {{-1, 0, 0}, {0, -1, 0}, {0, 0, -1}, {-3, 0, 0},
          {0, -4, 0}, {0, 0, -4}, {0, -9, 0}, {0, 0, -9}};
}

AffinityTargets affinity_targets(const std::vector<uint64_t>& ids, const Shape& size,
                                 const std::vector<Offset>& offsets) {
  if (size.size() != 3 || int64_t(ids.size()) != product(size))
    throw std::invalid_argument("affinity_targets: " + std::to_string(ids.size()) +
                                " ids for size " + to_string(size));
  const int64_t d = size[0], h = size[1], w = size[2], n = d * h * w;
  const int64_t c = int64_t(offsets.size());
  AffinityTargets a{Tensor::zeros({1, c, d, h, w}), Tensor::zeros({1, c, d, h, w})};
  for (int64_t k = 0; k < c; ++k) {
    const Offset o = offsets[size_t(k)];
    float* t = a.target.data() + k * n;
    float* m = a.mask.data() + k * n;
#pragma omp parallel for schedule(static)
    for (int64_t z = 0; z < d; ++z)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const int64_t z2 = z + o.z, y2 = y + o.y, x2 = x + o.x;
          if (z2 < 0 || z2 >= d || y2 < 0 || y2 >= h || x2 < 0 || x2 >= w) continue;
          const int64_t i = (z * h + y) * w + x, j = (z2 * h + y2) * w + x2;
          m[i] = 1.f;
          t[i] = ids[size_t(i)] != 0 && ids[size_t(i)] == ids[size_t(j)] ? 1.f : 0.f;
        }
  }
  return a;
}

}  // namespace tessera::connectomics
