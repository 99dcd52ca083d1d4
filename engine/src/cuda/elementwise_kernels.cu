#include "elementwise_kernels.hpp"
#include "launch.cuh"

namespace tessera::cuda {
namespace {

__global__ void binary_kernel(BinaryOp op, const float* a, const float* b, float* dst, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) {
    const float x = a[i], y = b[i];
    dst[i] = op == BinaryOp::add ? x + y : op == BinaryOp::subtract ? x - y : x * y;
  }
}

__global__ void scale_kernel(const float* a, float s, float* dst, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) dst[i] = a[i] * s;
}

__global__ void running_average_kernel(float* avg, const float* x, float decay, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) avg[i] = decay * avg[i] + (1 - decay) * x[i];
}

}  // namespace

void launch_binary(BinaryOp op, const float* a, const float* b, float* dst, int64_t n) {
  binary_kernel<<<blocks_for(n), kThreads>>>(op, a, b, dst, n);
  check_launch("binary");
}

void launch_scale(const float* a, float s, float* dst, int64_t n) {
  scale_kernel<<<blocks_for(n), kThreads>>>(a, s, dst, n);
  check_launch("scale");
}

void launch_running_average(float* avg, const float* x, float decay, int64_t n) {
  running_average_kernel<<<blocks_for(n), kThreads>>>(avg, x, decay, n);
  check_launch("running_average");
}

}  // namespace tessera::cuda
