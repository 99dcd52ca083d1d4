#pragma once
// What every kernel file shares: a grid that covers n elements with one thread each, launched on
// the current device's default stream (the backend's one stream), and the check after a launch.
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tessera::cuda {

constexpr int kThreads = 256;

inline unsigned blocks_for(int64_t n) {
  // A grid-stride loop in every kernel covers what a capped grid leaves.
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65535 * 32 ? (blocks > 0 ? blocks : 1) : 65535 * 32);
}

inline void check_launch(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess)
    throw std::runtime_error(std::string(kernel) + ": " + cudaGetErrorString(e) + " (CUDA)");
}

// Cells of a plane as D x H x W (1D and 2D data fill the leading axes with 1): their count, and
// a flat index over planes x D x H x W split into the plane and its three coordinates.
__host__ __device__ inline int64_t volume(const int64_t* dims) {
  return dims[0] * dims[1] * dims[2];
}

__device__ inline int64_t split_index(int64_t t, const int64_t* dims, int64_t* c) {
  c[2] = t % dims[2];
  t /= dims[2];
  c[1] = t % dims[1];
  t /= dims[1];
  c[0] = t % dims[0];
  return t / dims[0];
}

#define TESSERA_GRID_STRIDE(i, n)                                           \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); \
       i += int64_t(blockDim.x) * gridDim.x)

}  // namespace tessera::cuda
