#pragma once
// Launchers of the elementwise kernels (elementwise_kernels.cu): plain float arrays of n elements
// on the current GPU.
#include <cstdint>

namespace tessera::cuda {

enum class BinaryOp { add, subtract, multiply };

void launch_binary(BinaryOp op, const float* a, const float* b, float* dst, int64_t n);
void launch_scale(const float* a, float s, float* dst, int64_t n);
void launch_running_average(float* avg, const float* x, float decay, int64_t n);

}  // namespace tessera::cuda
