// Optimizer updates: one pass over the parameter, split across threads.
#include <cmath>

#include "backend.hpp"

namespace tessera::cpu {

void CpuBackend::sgd_update(const Tensor& wt, const Tensor& grad, const Tensor& velocity,
                            const SgdStep& s) {
  float* w = static_cast<float*>(wt.raw());
  const float* g = static_cast<const float*>(grad.raw());
  const float lr = s.lr, wd = s.weight_decay, mu = s.momentum;
  const int64_t n = wt.numel();
  if (!velocity.defined()) {  // plain SGD keeps no state
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
    return;
  }
  float* v = static_cast<float*>(velocity.raw());
  const bool nesterov = s.nesterov;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * w[i];
    v[i] = mu * v[i] + gi;
    w[i] -= lr * (nesterov ? gi + mu * v[i] : v[i]);
  }
}

void CpuBackend::adam_update(const Tensor& wt, const Tensor& grad, const Tensor& mt,
                             const Tensor& vt, const AdamStep& s) {
  float* w = static_cast<float*>(wt.raw());
  const float* g = static_cast<const float*>(grad.raw());
  float* m = static_cast<float*>(mt.raw());
  float* v = static_cast<float*>(vt.raw());
  const float lr = s.lr, wd = s.weight_decay;
  const float l2 = s.decoupled ? 0.f : wd;           // Adam: decay joins the gradient
  const float shrink = s.decoupled ? lr * wd : 0.f;  // AdamW: decay acts on the weight
  const float b1 = s.beta1, b2 = s.beta2, eps = s.eps;
  const float c1 = s.bias_correction1, c2 = s.bias_correction2;
  const int64_t n = wt.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + l2 * w[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    w[i] -= shrink * w[i] + lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
  }
}

}  // namespace tessera::cpu
