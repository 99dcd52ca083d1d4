#include "launch.cuh"
#include "update_kernels.hpp"

namespace tessera::cuda {
namespace {

__global__ void sgd_kernel(float* w, const float* g, float* v, float lr, float mu, float wd,
                           bool nesterov, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) {
    const float gi = g[i] + wd * w[i];
    if (!v) {
      w[i] -= lr * gi;
      continue;
    }
    v[i] = mu * v[i] + gi;
    w[i] -= lr * (nesterov ? gi + mu * v[i] : v[i]);
  }
}

__global__ void adam_kernel(float* w, const float* g, float* m, float* v, float lr, float b1,
                            float b2, float eps, float l2, float shrink, float c1, float c2,
                            int64_t n) {
  TESSERA_GRID_STRIDE(i, n) {
    const float gi = g[i] + l2 * w[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    w[i] -= shrink * w[i] + lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
  }
}

}  // namespace

void launch_sgd_update(float* w, const float* g, float* velocity, float lr, float momentum,
                       float weight_decay, bool nesterov, int64_t n) {
  sgd_kernel<<<blocks_for(n), kThreads>>>(w, g, velocity, lr, momentum, weight_decay, nesterov, n);
  check_launch("sgd_update");
}

void launch_adam_update(float* w, const float* g, float* m, float* v, float lr, float beta1,
                        float beta2, float eps, float l2, float shrink, float correction1,
                        float correction2, int64_t n) {
  adam_kernel<<<blocks_for(n), kThreads>>>(w, g, m, v, lr, beta1, beta2, eps, l2, shrink,
                                           correction1, correction2, n);
  check_launch("adam_update");
}

}  // namespace tessera::cuda
