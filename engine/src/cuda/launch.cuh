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

#define TESSERA_GRID_STRIDE(i, n)                                           \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); \
       i += int64_t(blockDim.x) * gridDim.x)

}  // namespace tessera::cuda
