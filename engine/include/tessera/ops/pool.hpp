#pragma once
// Max and average pooling (2D/3D) on oneDNN. Average pooling excludes padding from the divisor.
#include "tessera/tensor/tensor.hpp"

namespace tessera {

enum class PoolKind { max, avg };

struct PoolParams {
  PoolKind kind = PoolKind::max;
  Shape kernel{};   // per spatial dim
  Shape stride{};   // default = kernel
  Shape padding{};  // default 0
};

struct PoolResult {
  Tensor y;
  Tensor workspace;  // max pooling in training: where the maxima were; needed by backward
};

// Output shape of pooling x_shape [N,C,*S]: S' = (S + 2p - K) / s + 1 (checks the settings).
Shape pool_output_shape(const Shape& x_shape, const PoolParams& p);

// x [N,C,*S] -> y [N,C,*S'], S' = (S + 2p - K) / s + 1
PoolResult pool_forward(const Tensor& x, const PoolParams& p, bool training);
// dy [N,C,*S'] -> dx in the layout `x_layout` of the forward input (its shape and layout)
Tensor pool_backward(const Tensor& dy, const Tensor& workspace, const Layout& x_layout,
                     const PoolParams& p);

}  // namespace tessera
