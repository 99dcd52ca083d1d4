#pragma once
// Optimizer updates of one parameter, in place: the arithmetic of SGD and Adam steps, so that the
// optimizers (train/) run on any device. Parameters, gradients and state are plain, one shape.
#include "tessera/tensor/tensor.hpp"

namespace tessera {

struct SgdStep {
  float lr = 0;
  float momentum = 0;
  float weight_decay = 0;  // L2, added to the gradient
  bool nesterov = false;
};

// With velocity v: v = momentum v + (g + wd w); w -= lr v (Nesterov: w -= lr (g + wd w +
// momentum v)). Without (undefined velocity): w -= lr (g + wd w).
void sgd_update(Tensor& w, const Tensor& grad, Tensor& velocity, const SgdStep& s);

struct AdamStep {
  float lr = 0;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 0;
  bool decoupled = false;  // AdamW: the decay shrinks the weight instead of joining the gradient
  // 1 - beta^t of this step t, computed by the caller in double.
  float bias_correction1 = 1, bias_correction2 = 1;
};

// m = b1 m + (1-b1) g', v = b2 v + (1-b2) g'^2, w -= shrink w + lr (m/c1) / (sqrt(v/c2) + eps),
// g' = g + wd w (Adam) or g (AdamW, shrink = lr wd).
void adam_update(Tensor& w, const Tensor& grad, Tensor& m, Tensor& v, const AdamStep& s);

}  // namespace tessera
