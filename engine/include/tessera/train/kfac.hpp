#pragma once
// K-FAC: SGD with momentum on gradients preconditioned by a Kronecker-factored approximation
// of the Fisher (Martens & Grosse 2015; convolutions as in Grosse & Martens 2016).
//
// For each linear layer and ungrouped convolution the Fisher block is A kron G
// (ops/kron_factors.hpp), and the update of its weight matrix W [Co, D] (bias as the last
// column) is (G + gG I)^-1 dW (A + gA I)^-1, applied through eigendecompositions of A and G.
// Other parameters (normalization, transposed convolutions) take the plain SGD step.
//
//   auto opt = make_kfac({});                // defaults work without tuning
//   train_step(model, *opt, 0.05f, x, loss); // train_step calls opt->prepare(model, ...)
#include <memory>

#include "tessera/train/optimizer.hpp"

namespace tessera {

struct KfacOptions {
  float momentum = 0.9f;
  float weight_decay = 0.f;  // L2 on the preconditioned step (skipped where Param::decay is false)
  // Tikhonov damping lambda: each factor gets sqrt(lambda) added to its diagonal, scaled by pi
  // and 1/pi (pi from the factors' mean eigenvalues, Martens & Grosse 6.3) when pi_damping.
  float damping = 1e-3f;
  bool pi_damping = true;
  // Scales a step down so that its predicted change of the model's output distribution,
  // lr^2 sum <step, grad>, stays at most kl_clip (0: off).
  float kl_clip = 1e-3f;
  float stat_decay = 0.95f;   // running average: F = decay F + (1 - decay) F_batch
  int factor_interval = 10;   // steps between factor updates (the batch's factors are computed)
  int inverse_interval = 50;  // steps between eigendecompositions (stale curvature between)
};

std::unique_ptr<Optimizer> make_kfac(const KfacOptions& o);

}  // namespace tessera
