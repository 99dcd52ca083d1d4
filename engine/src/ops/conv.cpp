#include "tessera/ops/conv.hpp"

#include <stdexcept>

#include "conv_geometry.hpp"
#include "dispatch.hpp"
#include "tessera/info.hpp"

namespace tessera {

namespace {

Shape or_default(const Shape& v, size_t n, int64_t def, const char* what) {
  if (v.empty()) return Shape(n, def);
  if (v.size() != n)
    throw std::invalid_argument(std::string("convolution: ") + what + " has " +
                                std::to_string(v.size()) + " values for " + std::to_string(n) +
                                " spatial dims");
  return v;
}

void check_operands(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                    int64_t groups) {
  require_defined(op, x);
  require_defined(op, w, "weights");
  const int sd = x.spatial_dims();
  if (sd < 1 || sd > 3)
    throw std::invalid_argument(std::string(op) + ": input " + to_string(x.shape()) +
                                " must be [N,C,W], [N,C,H,W] or [N,C,D,H,W]");
  if (w.ndim() != x.ndim())
    throw std::invalid_argument(std::string(op) + ": weights " + to_string(w.shape()) +
                                " do not match input " + to_string(x.shape()));
  if (groups < 1 || x.dim(1) % groups != 0 || w.dim(0) % groups != 0)
    throw std::invalid_argument(std::string(op) + ": channels not divisible by groups " +
                                std::to_string(groups));
  if (w.dim(1) * groups != x.dim(1))
    throw std::invalid_argument(std::string(op) + ": weights " + to_string(w.shape()) + " expect " +
                                std::to_string(w.dim(1) * groups) + " input channels, input " +
                                to_string(x.shape()) + " has " + std::to_string(x.dim(1)));
  if (b.defined() && (b.ndim() != 1 || b.dim(0) != w.dim(0)))
    throw std::invalid_argument(std::string(op) + ": bias " + to_string(b.shape()) + " must be [" +
                                std::to_string(w.dim(0)) + "]");
}

void check_compute(const char* op, const ConvParams& p) {
  if (p.compute == DataType::f32) return;
  if (p.compute != DataType::bf16)
    throw std::invalid_argument(std::string(op) + ": computes in f32 or bf16, not " +
                                to_string(p.compute));
  if (!bf16_supported())
    throw std::invalid_argument(std::string(op) +
                                ": bf16 needs a CPU with AVX-512; this one has none (use f32)");
}

// The output shape, which also checks the spatial settings.
Shape checked_output(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                     const ConvParams& p, bool transposed) {
  check_operands(op, x, w, b, p.groups);
  check_compute(op, p);
  return conv_output_dims(x.shape(), w.shape(), conv_geometry(p, x.shape().size() - 2, transposed),
                          transposed);
}

void check_gradient(const char* op, const Tensor& dy, const Shape& y) {
  require_defined(op, dy, "gradient");
  if (dy.shape() != y)
    throw std::invalid_argument(std::string(op) + ": gradient " + to_string(dy.shape()) +
                                " does not match output " + to_string(y));
}

}  // namespace

ConvGeometry conv_geometry(const ConvParams& p, size_t sd, bool transposed) {
  ConvGeometry g;
  g.stride = or_default(p.stride, sd, 1, "stride");
  g.pad_begin = or_default(p.padding, sd, 0, "padding");
  g.dilation = or_default(p.dilation, sd, 1, "dilation");
  const Shape outpad = or_default(p.output_padding, sd, 0, "output_padding");
  g.pad_end = g.pad_begin;
  for (size_t i = 0; i < sd; ++i) {
    if (g.stride[i] < 1 || g.dilation[i] < 1 || g.pad_begin[i] < 0)
      throw std::invalid_argument("convolution: stride and dilation must be >= 1, padding >= 0");
    // The far-edge padding shrinks by output_padding, which grows a transposed output.
    if (transposed) g.pad_end[i] -= outpad[i];
  }
  return g;
}

Shape conv_output_dims(const Shape& x, const Shape& w, const ConvGeometry& g, bool transposed) {
  Shape out = {x[0], w[0]};
  for (size_t i = 2; i < x.size(); ++i) {
    const int64_t k = (w[i] - 1) * g.dilation[i - 2] + 1;
    const int64_t s = g.stride[i - 2];
    const int64_t pads = g.pad_begin[i - 2] + g.pad_end[i - 2];
    const int64_t o = transposed ? (x[i] - 1) * s - pads + k : (x[i] + pads - k) / s + 1;
    if (o < 1 || (!transposed && x[i] + pads < k))
      throw std::invalid_argument("convolution: input " + to_string(x) +
                                  " is smaller than kernel " + to_string(w) + " allows");
    out.push_back(o);
  }
  return out;
}

Shape conv_output_shape(const Shape& x, const Shape& w, const ConvParams& p) {
  return conv_output_dims(x, w, conv_geometry(p, x.size() - 2, false), false);
}

Shape conv_transpose_output_shape(const Shape& x, const Shape& w, const ConvParams& p) {
  return conv_output_dims(x, w, conv_geometry(p, x.size() - 2, true), true);
}

Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p) {
  checked_output("conv", x, w, b, p, false);
  return backend_of("conv", x, w, b).conv_forward(x, w, b, p);
}

ConvGrads conv_backward(const Tensor& x, const Tensor& w, const Tensor& dy, const ConvParams& p,
                        bool has_bias, bool need_dx) {
  check_gradient("conv backward", dy, checked_output("conv", x, w, Tensor(), p, false));
  return backend_of("conv backward", x, w, dy).conv_backward(x, w, dy, p, has_bias, need_dx);
}

Tensor conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                              const ConvParams& p) {
  checked_output("conv_transpose", x, w, b, p, true);
  return backend_of("conv_transpose", x, w, b).conv_transpose_forward(x, w, b, p);
}

ConvGrads conv_transpose_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                  const ConvParams& p, bool has_bias, bool need_dx) {
  check_gradient("conv_transpose backward", dy,
                 checked_output("conv_transpose", x, w, Tensor(), p, true));
  return backend_of("conv_transpose backward", x, w, dy)
      .conv_transpose_backward(x, w, dy, p, has_bias, need_dx);
}

// ---- linear ----

namespace {

Tensor flatten(const Tensor& x) {
  require_defined("linear", x);
  if (x.ndim() < 2)
    throw std::invalid_argument("linear: input " + to_string(x.shape()) + " needs a batch dim");
  return x.reshape({x.dim(0), x.numel() / x.dim(0)});
}

void check_linear(const Tensor& x2, const Tensor& w, const Tensor& b) {
  require_defined("linear", w, "weights");
  if (w.ndim() != 2 || w.dim(1) != x2.dim(1))
    throw std::invalid_argument("linear: weights " + to_string(w.shape()) + " do not take " +
                                std::to_string(x2.dim(1)) + " input features");
  if (b.defined() && b.shape() != Shape{w.dim(0)})
    throw std::invalid_argument("linear: bias " + to_string(b.shape()) + " must be [" +
                                std::to_string(w.dim(0)) + "]");
}

}  // namespace

Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  const Tensor x2 = flatten(x);
  check_linear(x2, w, b);
  return backend_of("linear", x2, w, b).linear_forward(x2, w.to_plain(), b.to_plain());
}

ConvGrads linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy, bool has_bias,
                          bool need_dx) {
  const Tensor x2 = flatten(x);
  check_linear(x2, w, Tensor());
  if (!dy.defined() || dy.shape() != Shape{x2.dim(0), w.dim(0)})
    throw std::invalid_argument("linear backward: gradient " +
                                (dy.defined() ? to_string(dy.shape()) : std::string("undefined")) +
                                " does not match output [" + std::to_string(x2.dim(0)) + "," +
                                std::to_string(w.dim(0)) + "]");
  ConvGrads g = backend_of("linear backward", x2, w, dy)
                    .linear_backward(x2, w.to_plain(), dy.to_plain(), has_bias, need_dx);
  if (g.dx.defined()) g.dx = g.dx.reshape(x.shape());
  return g;
}

}  // namespace tessera
