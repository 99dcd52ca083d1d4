#pragma once
// Batch normalization and group normalization, with affine scale (gamma) and shift (beta).
#include "tessera/tensor/tensor.hpp"

namespace tessera {

struct NormStats {
  Tensor y;
  Tensor mean;      // batch norm: [C]; group norm: [N*G]
  Tensor variance;  // biased (divided by the count), same shape as mean
};

struct NormGrads {
  Tensor dx, dgamma, dbeta;
};

// Training: x [N,C,*S], gamma/beta [C] -> y normalised with the batch statistics it returns.
NormStats batch_norm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                   float eps);
// Inference with given statistics (running averages, or the batch statistics of an earlier
// forward pass when a reversible block rebuilds its input).
Tensor batch_norm_forward_infer(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                const Tensor& mean, const Tensor& variance, float eps);
// Gradients of the training forward pass at x with its batch statistics mean/variance.
NormGrads batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                              const Tensor& beta, const Tensor& mean, const Tensor& variance,
                              float eps);

// x [N,C,*S], C divisible by groups, gamma/beta [C] -> y; statistics per (sample, group).
NormStats group_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                             int64_t groups, float eps);
NormGrads group_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                              const Tensor& mean, const Tensor& variance, int64_t groups,
                              float eps);

}  // namespace tessera
