#pragma once
// Convolution, transposed convolution and linear (fully connected) layers on oneDNN.
// Spatial settings are per spatial dimension ([H,W] or [D,H,W]); dilation 1 means dense.
// Weights are plain: conv [Co, Ci/groups, *K], transposed conv [Co, Ci/groups, *K] (oneDNN's
// order, not PyTorch's), linear [O, F].
#include "tessera/tensor/tensor.hpp"

namespace tessera {

struct ConvParams {
  Shape stride{};    // default 1 per dim when empty
  Shape padding{};   // default 0
  Shape dilation{};  // default 1
  int64_t groups = 1;
  Shape output_padding{};  // transposed convolution only: extra rows at the far edge
  // f32, or bf16: the products in bfloat16 (inputs and weights rounded to 8 mantissa bits), the
  // sums, outputs and gradients in float32, so weights stay float32 masters and the range of
  // float32 needs no loss scaling. Needs a CPU with AVX-512 (bf16_supported() in info.hpp).
  // A backend may keep a convolution in float32 where bf16 would be slower (the CPU: fewer than
  // 8 channels in or out in 3D, 16 in 2D).
  DataType compute = DataType::f32;
};

struct ConvGrads {
  Tensor dx;  // undefined when not requested
  Tensor dw;
  Tensor db;  // undefined without bias
};

// Output spatial size of a convolution: (S + 2p - d(K-1) - 1) / s + 1.
Shape conv_output_shape(const Shape& x, const Shape& w, const ConvParams& p);
// Output spatial size of a transposed convolution: (S-1)s - 2p + d(K-1) + 1 + output_padding.
Shape conv_transpose_output_shape(const Shape& x, const Shape& w, const ConvParams& p);

// x [N,Ci,*S], w [Co,Ci/g,*K], b [Co] or undefined -> [N,Co,*S']
Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p);
// dy [N,Co,*S'] -> dx [N,Ci,*S], dw like w, db like b
ConvGrads conv_backward(const Tensor& x, const Tensor& w, const Tensor& dy, const ConvParams& p,
                        bool has_bias, bool need_dx = true);

// x [N,Ci,*S], w [Co,Ci/g,*K], b [Co] or undefined -> [N,Co,*S'] (S' from
// conv_transpose_output_shape)
Tensor conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                              const ConvParams& p);
ConvGrads conv_transpose_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                  const ConvParams& p, bool has_bias, bool need_dx = true);

// x [N,F] (or [N,C,*S], flattened), w [O,F], b [O] or undefined -> [N,O]
Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b);
// dy [N,O] -> dx shaped like x, dw [O,F], db [O]
ConvGrads linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy, bool has_bias,
                          bool need_dx = true);

}  // namespace tessera
