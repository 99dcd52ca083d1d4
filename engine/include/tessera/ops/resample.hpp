#pragma once
// Nearest and linear (bi/trilinear, half-pixel centres) upsampling by integer factors on oneDNN.
#include "tessera/tensor/tensor.hpp"

namespace tessera {

enum class UpsampleMode { nearest, linear };

// Output shape of upsampling x_shape [N,C,*S] by `scale`: [N,C,*S*scale].
Shape upsample_output_shape(const Shape& x_shape, const Shape& scale);

// x [N,C,*S] -> [N,C,*S*scale]; scale per spatial dim
Tensor upsample_forward(const Tensor& x, UpsampleMode mode, const Shape& scale);
// dy [N,C,*S*scale] -> dx in the layout `x_layout` of the forward input
Tensor upsample_backward(const Tensor& dy, const Layout& x_layout, UpsampleMode mode,
                         const Shape& scale);

}  // namespace tessera
