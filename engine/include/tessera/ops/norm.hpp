#pragma once
// Batch normalization and group normalization, with affine scale (gamma) and shift (beta).
#include "tessera/tensor/tensor.hpp"

namespace tessera {

struct NormStats {
  Tensor y{};
  Tensor mean{};       // batch norm: [C]; group norm: [N*G]
  Tensor variance{};   // biased (divided by the count), same shape as mean
  Tensor relu_mask{};  // batch norm with a fused ReLU: which outputs passed it, for backward
};

struct NormGrads {
  Tensor dx, dgamma, dbeta;
};

// Training: x [N,C,*S], gamma/beta [C] -> y normalised with the batch statistics it returns.
// relu: y = max(0, batch norm) in the same pass over the data (a network's norm -> ReLU, each
// way one read and one write of the activations fewer), with the mask backward needs.
NormStats batch_norm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                   float eps, bool relu = false);
// A training pass replayed with the statistics of an earlier one (a reversible block rebuilding
// its input): y and, with relu, the mask; mean and variance are those given.
NormStats batch_norm_forward_replay(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                    const Tensor& mean, const Tensor& variance, float eps,
                                    bool relu = false);
// Inference with given statistics (running averages); relu as above.
Tensor batch_norm_forward_infer(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                const Tensor& mean, const Tensor& variance, float eps,
                                bool relu = false);
// Gradients of the training forward pass at x with its batch statistics mean/variance, through
// the fused ReLU when `relu_mask` (that pass's) is defined.
NormGrads batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                              const Tensor& beta, const Tensor& mean, const Tensor& variance,
                              float eps, const Tensor& relu_mask = Tensor());

// x [N,C,*S], C divisible by groups, gamma/beta [C] -> y; statistics per (sample, group).
NormStats group_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                             int64_t groups, float eps);
NormGrads group_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                              const Tensor& mean, const Tensor& variance, int64_t groups,
                              float eps);

}  // namespace tessera
