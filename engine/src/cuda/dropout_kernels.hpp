#pragma once
// Launcher of the dropout kernel (dropout_kernels.cu): the CPU's counter-based mask
// (cpu/dropout.cpp) bit for bit, so a seed drops the same elements on either device.
#include <cstdint>

namespace tessera::cuda {

// mask[i] = 0 where element i is dropped, else keep_scale; y[i] = x[i] * mask[i].
void launch_dropout(const float* x, float p, float keep_scale, uint64_t seed, float* y, float* mask,
                    int64_t n);

}  // namespace tessera::cuda
