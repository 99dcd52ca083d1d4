// The one kernel convolutions need besides cuDNN: rearranging a transposed convolution's weights.
#include "conv_kernels.hpp"
#include "launch.cuh"

namespace tessera::cuda {
namespace {

// One thread per output element out[g][j][i][r] = in[g][i][j][r] (i < a, j < b, r < k).
__global__ void swap_group_axes_kernel(const float* in, float* out, int64_t a, int64_t b, int64_t k,
                                       int64_t n) {
  TESSERA_GRID_STRIDE(idx, n) {
    const int64_t r = idx % k;
    int64_t rest = idx / k;
    const int64_t i = rest % a;
    rest /= a;
    const int64_t j = rest % b;
    const int64_t g = rest / b;
    out[idx] = in[((g * a + i) * b + j) * k + r];
  }
}

}  // namespace

void launch_swap_group_axes(const float* in, float* out, int64_t groups, int64_t a, int64_t b,
                            int64_t k) {
  const int64_t n = groups * a * b * k;
  swap_group_axes_kernel<<<blocks_for(n), kThreads>>>(in, out, a, b, k, n);
  check_launch("swap_group_axes");
}

}  // namespace tessera::cuda
