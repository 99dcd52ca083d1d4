#include "tessera/data/blobs.hpp"

#include <random>
#include <stdexcept>

namespace tessera::data {

Blobs make_blobs(const BlobsOptions& o) {
  if (o.dims != 2 && o.dims != 3) throw std::invalid_argument("blobs: dims must be 2 or 3");
  if (o.batch < 1 || o.size < 4) throw std::invalid_argument("blobs: batch >= 1 and size >= 4");
  Shape shape = {o.batch, 1};
  for (int d = 0; d < o.dims; ++d) shape.push_back(o.size);
  Blobs b{Tensor::zeros(shape), Tensor::zeros(shape)};
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<float> pos(0.f, static_cast<float>(o.size));
  std::uniform_real_distribution<float> radius(0.08f * o.size, 0.2f * o.size);
  std::normal_distribution<float> noise(0.f, o.noise);
  const int64_t depth = o.dims == 3 ? o.size : 1;
  const int64_t plane = o.size * o.size;
  for (int64_t n = 0; n < o.batch; ++n) {
    float* mask = b.mask.data() + n * depth * plane;
    for (int k = 0; k < o.objects; ++k) {
      const float cz = o.dims == 3 ? pos(rng) : 0.f, cy = pos(rng), cx = pos(rng), r = radius(rng);
      for (int64_t z = 0; z < depth; ++z)
        for (int64_t y = 0; y < o.size; ++y)
          for (int64_t x = 0; x < o.size; ++x) {
            const float dz = z - cz, dy = y - cy, dx = x - cx;
            if (dz * dz + dy * dy + dx * dx <= r * r) mask[(z * o.size + y) * o.size + x] = 1.f;
          }
    }
    float* img = b.image.data() + n * depth * plane;
    for (int64_t i = 0; i < depth * plane; ++i) img[i] = mask[i] - 0.5f + noise(rng);
  }
  return b;
}

}  // namespace tessera::data
