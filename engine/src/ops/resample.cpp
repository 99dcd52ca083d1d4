#include "tessera/ops/resample.hpp"

#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {
namespace {

std::string mode_name(UpsampleMode m) {
  return m == UpsampleMode::nearest ? "nearest upsampling" : "linear upsampling";
}

void check_args(const std::string& what, const Shape& x_shape, const Shape& scale) {
  if (x_shape.size() < 3 || x_shape.size() > 5)
    throw std::invalid_argument(what + ": input " + to_string(x_shape) +
                                " must be [N,C,W], [N,C,H,W] or [N,C,D,H,W]");
  if (scale.size() != x_shape.size() - 2)
    throw std::invalid_argument(what + ": scale " + to_string(scale) + " has " +
                                std::to_string(scale.size()) + " dims but input " +
                                to_string(x_shape) + " has " + std::to_string(x_shape.size() - 2) +
                                " spatial dims");
  for (auto s : scale)
    if (s < 1) throw std::invalid_argument(what + ": scale " + to_string(scale) + " must be >= 1");
}

}  // namespace

Shape upsample_output_shape(const Shape& x_shape, const Shape& scale) {
  Shape y = x_shape;
  for (size_t i = 0; i < scale.size() && i + 2 < y.size(); ++i) y[i + 2] *= scale[i];
  return y;
}

Tensor upsample_forward(const Tensor& x, UpsampleMode mode, const Shape& scale) {
  require_defined(mode_name(mode), x);
  check_args(mode_name(mode), x.shape(), scale);
  return backend_of(mode_name(mode), x).upsample_forward(x, mode, scale);
}

Tensor upsample_backward(const Tensor& dy, const Layout& x_layout, UpsampleMode mode,
                         const Shape& scale) {
  const std::string what = mode_name(mode) + " backward";
  require_defined(what, dy, "dy");
  check_args(what, x_layout.dims, scale);
  const Shape y_shape = upsample_output_shape(x_layout.dims, scale);
  if (dy.shape() != y_shape)
    throw std::invalid_argument(what + ": dy " + to_string(dy.shape()) +
                                " does not match the output " + to_string(y_shape) + " of input " +
                                to_string(x_layout.dims));
  return backend_of(what, dy).upsample_backward(dy, x_layout, mode, scale);
}

}  // namespace tessera
