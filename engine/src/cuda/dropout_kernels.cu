// The dropout kernel. The mask hashes (seed, element index) with the CPU backend's integer
// arithmetic (cpu/dropout.cpp), so GPU and CPU masks agree exactly for any seed.
#include <cstdint>

#include "dropout_kernels.hpp"
#include "launch.cuh"

namespace tessera::cuda {
namespace {

// splitmix64's finaliser, as on the CPU; the host mixes the seed, the device each index.
__host__ __device__ uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) from the top 24 bits, exact in float.
__device__ float uniform(uint64_t stream, int64_t index) {
  return float(splitmix64(stream + uint64_t(index)) >> 40) * 0x1p-24f;
}

__global__ void dropout_kernel(const float* x, float p, float keep_scale, uint64_t stream, float* y,
                               float* mask, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) {
    const float m = uniform(stream, i) < p ? 0.f : keep_scale;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

}  // namespace

void launch_dropout(const float* x, float p, float keep_scale, uint64_t seed, float* y, float* mask,
                    int64_t n) {
  // Mixing the seed first keeps nearby seeds from giving overlapping index streams.
  dropout_kernel<<<blocks_for(n), kThreads>>>(x, p, keep_scale, splitmix64(seed), y, mask, n);
  check_launch("dropout");
}

}  // namespace tessera::cuda
