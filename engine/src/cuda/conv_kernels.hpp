#pragma once
// Launchers of the convolution kernels (conv_kernels.cu): plain float arrays on the current GPU.
#include <cstdint>

namespace tessera::cuda {

// Weights [groups*a, b, *K] (k elements per window) to [groups*b, a, *K]: the first two axes
// swapped within each group. A transposed convolution's weights [Co, Ci/g, *K] so become the
// filter [Ci, Co/g, *K] of the convolution it transposes, and that filter's gradient comes back.
void launch_swap_group_axes(const float* in, float* out, int64_t groups, int64_t a, int64_t b,
                            int64_t k);

}  // namespace tessera::cuda
