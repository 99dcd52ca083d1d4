// Dropout masks from a counter-based hash: the mask depends only on (seed, element index).
#include "backend.hpp"

namespace tessera::cpu {
namespace {

// splitmix64's finaliser: a strong 64-bit mix, cheap enough to run once per element.
uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) from the top 24 bits, exact in float.
float uniform(uint64_t stream, int64_t index) {
  return float(splitmix64(stream + uint64_t(index)) >> 40) * 0x1p-24f;
}

}  // namespace

DropoutResult CpuBackend::dropout_forward(const Tensor& x, float p, uint64_t seed) {
  const Tensor xp = x.to_plain();
  DropoutResult r{Tensor::empty(x.shape()), Tensor::empty(x.shape())};
  const float keep_scale = 1.f / (1.f - p);
  // Mixing the seed first keeps nearby seeds from giving overlapping index streams.
  const uint64_t stream = splitmix64(seed);
  const float* in = xp.data();
  float* out = r.y.data();
  float* mask = r.mask.data();
  const int64_t n = x.numel();
#pragma omp parallel for
  for (int64_t i = 0; i < n; ++i) {
    mask[i] = uniform(stream, i) < p ? 0.f : keep_scale;
    out[i] = in[i] * mask[i];
  }
  r.y = r.y.to_layout(x.layout());
  return r;
}

Tensor CpuBackend::dropout_backward(const Tensor& dy, const Tensor& mask) {
  const Tensor dyp = dy.to_plain(), mp = mask.to_plain();
  Tensor dx = Tensor::empty(dy.shape());
  const float* g = dyp.data();
  const float* m = mp.data();
  float* out = dx.data();
  const int64_t n = dy.numel();
#pragma omp parallel for
  for (int64_t i = 0; i < n; ++i) out[i] = g[i] * m[i];
  return dx.to_layout(dy.layout());
}

}  // namespace tessera::cpu
