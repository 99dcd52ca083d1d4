#pragma once
// Launchers of the optimizer updates (update_kernels.cu), the CPU's formulas (ops/update.hpp) over
// n floats; velocity null for plain SGD.
#include <cstdint>

namespace tessera::cuda {

void launch_sgd_update(float* w, const float* g, float* velocity, float lr, float momentum,
                       float weight_decay, bool nesterov, int64_t n);
void launch_adam_update(float* w, const float* g, float* m, float* v, float lr, float beta1,
                        float beta2, float eps, float l2, float shrink, float correction1,
                        float correction2, int64_t n);

}  // namespace tessera::cuda
