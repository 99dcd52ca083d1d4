// Optimizer updates on the GPU: one kernel pass over each parameter (update_kernels.cu).
#include "backend.hpp"
#include "update_kernels.hpp"

namespace tessera::cuda {

void CudaBackend::sgd_update(const Tensor& w, const Tensor& grad, const Tensor& velocity,
                             const SgdStep& s) {
  use_device(device_);
  launch_sgd_update(floats(w), floats(grad), velocity.defined() ? floats(velocity) : nullptr, s.lr,
                    s.momentum, s.weight_decay, s.nesterov, w.numel());
}

void CudaBackend::adam_update(const Tensor& w, const Tensor& grad, const Tensor& m, const Tensor& v,
                              const AdamStep& s) {
  use_device(device_);
  const float l2 = s.decoupled ? 0.f : s.weight_decay;             // Adam: decay joins the gradient
  const float shrink = s.decoupled ? s.lr * s.weight_decay : 0.f;  // AdamW: it shrinks the weight
  launch_adam_update(floats(w), floats(grad), floats(m), floats(v), s.lr, s.beta1, s.beta2, s.eps,
                     l2, shrink, s.bias_correction1, s.bias_correction2, w.numel());
}

}  // namespace tessera::cuda
