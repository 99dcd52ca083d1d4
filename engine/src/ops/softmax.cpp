#include "tessera/ops/softmax.hpp"

#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {
namespace {

int checked_axis(const std::string& what, const Tensor& t, int axis) {
  require_defined(what, t);
  const int a = axis < 0 ? axis + t.ndim() : axis;
  if (a < 0 || a >= t.ndim())
    throw std::invalid_argument(what + ": axis " + std::to_string(axis) + " is out of range for " +
                                to_string(t.shape()));
  return a;
}

}  // namespace

Tensor softmax_forward(const Tensor& x, int axis) {
  const int a = checked_axis("softmax", x, axis);
  return backend_of("softmax", x).softmax_forward(x, a);
}

Tensor softmax_backward(const Tensor& y, const Tensor& dy, int axis) {
  const int a = checked_axis("softmax backward", y, axis);
  if (!dy.defined() || dy.shape() != y.shape())
    throw std::invalid_argument("softmax backward: dy " +
                                (dy.defined() ? to_string(dy.shape()) : std::string("undefined")) +
                                " must have the shape of y " + to_string(y.shape()));
  return backend_of("softmax backward", y, dy).softmax_backward(y, dy, a);
}

}  // namespace tessera
