#include "tessera/ops/pool.hpp"

#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {
namespace {

std::string kind_name(PoolKind k) {
  return k == PoolKind::max ? "max pooling" : "avg pooling";
}

// `p` with its defaults filled in (stride = kernel, padding = 0), checked against the input.
PoolParams resolve_window(const PoolParams& p, const Shape& x_shape) {
  const std::string what = kind_name(p.kind);
  if (x_shape.size() < 3 || x_shape.size() > 5)
    throw std::invalid_argument(what + ": input " + to_string(x_shape) +
                                " must be [N,C,W], [N,C,H,W] or [N,C,D,H,W]");
  const size_t sd = x_shape.size() - 2;
  auto check_len = [&](const Shape& v, const char* name) {
    if (v.size() != sd)
      throw std::invalid_argument(what + ": " + name + " has " + std::to_string(v.size()) +
                                  " dims but input " + to_string(x_shape) + " has " +
                                  std::to_string(sd) + " spatial dims");
  };
  check_len(p.kernel, "kernel");
  PoolParams w{p.kind, p.kernel, p.stride.empty() ? p.kernel : p.stride,
               p.padding.empty() ? Shape(sd, 0) : p.padding};
  check_len(w.stride, "stride");
  check_len(w.padding, "padding");
  for (size_t i = 0; i < sd; ++i) {
    if (w.kernel[i] < 1 || w.stride[i] < 1 || w.padding[i] < 0)
      throw std::invalid_argument(what + ": kernel " + to_string(w.kernel) + ", stride " +
                                  to_string(w.stride) + ", padding " + to_string(w.padding) +
                                  " must be positive (padding >= 0)");
    // A window lying wholly in the padding would have no elements to average or take a max of.
    if (w.padding[i] >= w.kernel[i])
      throw std::invalid_argument(what + ": padding " + to_string(w.padding) +
                                  " must be smaller than kernel " + to_string(w.kernel));
    if (x_shape[i + 2] + 2 * w.padding[i] < w.kernel[i])
      throw std::invalid_argument(what + ": kernel " + to_string(w.kernel) +
                                  " is larger than the padded input " + to_string(x_shape));
  }
  return w;
}

}  // namespace

Shape pool_output_shape(const Shape& x_shape, const PoolParams& p) {
  const PoolParams w = resolve_window(p, x_shape);
  Shape y = x_shape;
  for (size_t i = 0; i < w.kernel.size(); ++i)
    y[i + 2] = (x_shape[i + 2] + 2 * w.padding[i] - w.kernel[i]) / w.stride[i] + 1;
  return y;
}

PoolResult pool_forward(const Tensor& x, const PoolParams& p, bool training) {
  require_defined(kind_name(p.kind), x);
  const PoolParams w = resolve_window(p, x.shape());
  return backend_of(kind_name(p.kind), x).pool_forward(x, w, training);
}

Tensor pool_backward(const Tensor& dy, const Tensor& workspace, const Layout& x_layout,
                     const PoolParams& p) {
  const std::string what = kind_name(p.kind) + " backward";
  require_defined(what, dy, "dy");
  const PoolParams w = resolve_window(p, x_layout.dims);
  const Shape y_shape = pool_output_shape(x_layout.dims, w);
  if (dy.shape() != y_shape)
    throw std::invalid_argument(what + ": dy " + to_string(dy.shape()) +
                                " does not match the output " + to_string(y_shape) + " of input " +
                                to_string(x_layout.dims));
  return backend_of(what, dy, workspace).pool_backward(dy, workspace, x_layout, w);
}

}  // namespace tessera
