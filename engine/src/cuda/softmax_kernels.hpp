#pragma once
// Launchers of the softmax kernels (softmax_kernels.cu): a plain float tensor viewed as
// [outer, length, inner] with the softmax along the middle axis, on the current GPU.
#include <cstdint>

namespace tessera::cuda {

void launch_softmax_forward(const float* x, float* y, int64_t outer, int64_t length, int64_t inner);
// y is the forward output.
void launch_softmax_backward(const float* y, const float* dy, float* dx, int64_t outer,
                             int64_t length, int64_t inner);

}  // namespace tessera::cuda
