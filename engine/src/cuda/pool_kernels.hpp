#pragma once
// Launchers of the pooling kernels (pool_kernels.cu) on plain float tensors on the current GPU.
#include <cstdint>

namespace tessera::cuda {

// A pooling window over planes (N*C of them) of D x H x W cells; 1D and 2D inputs have leading
// spatial dims of size 1 with kernel 1, stride 1 and no padding.
struct PoolGeometry {
  int64_t planes = 0;
  int64_t in[3] = {1, 1, 1};   // D, H, W of x
  int64_t out[3] = {1, 1, 1};  // D, H, W of y
  int64_t kernel[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1};
  int64_t padding[3] = {0, 0, 0};
};

// argmax (may be null): per output, the winning cell's index within its input plane.
void launch_max_pool_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax);
// Averages over the cells inside the input: padding is left out of the divisor.
void launch_avg_pool_forward(const PoolGeometry& g, const float* x, float* y);
void launch_max_pool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax,
                              float* dx);
void launch_avg_pool_backward(const PoolGeometry& g, const float* dy, float* dx);

}  // namespace tessera::cuda
