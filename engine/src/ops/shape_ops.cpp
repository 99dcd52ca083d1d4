#include "tessera/ops/shape_ops.hpp"

#include <algorithm>
#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {
namespace {

int checked_axis(const std::string& what, int axis, int ndim) {
  const int a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim)
    throw std::invalid_argument(what + ": axis " + std::to_string(axis) +
                                " is out of range for rank " + std::to_string(ndim));
  return a;
}

void check_box(const std::string& what, const Shape& outer, const Shape& offsets,
               const Shape& inner) {
  bool ok = offsets.size() == outer.size() && inner.size() == outer.size();
  for (size_t i = 0; ok && i < outer.size(); ++i)
    ok = offsets[i] >= 0 && inner[i] > 0 && offsets[i] + inner[i] <= outer[i];
  if (!ok)
    throw std::invalid_argument(what + ": box " + to_string(inner) + " at offsets " +
                                to_string(offsets) + " does not fit in " + to_string(outer));
}

}  // namespace

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw std::invalid_argument("concat: no inputs");
  for (const auto& x : xs) require_defined("concat", x);
  const int a = checked_axis("concat", axis, xs[0].ndim());
  for (const auto& x : xs) {
    Shape s0 = xs[0].shape(), s = x.shape();
    if (s.size() == s0.size()) s0[a] = s[a];
    if (s != s0)
      throw std::invalid_argument("concat: input " + to_string(x.shape()) + " differs from " +
                                  to_string(xs[0].shape()) + " outside axis " + std::to_string(a));
  }
  return backend_of("concat", xs).concat(xs, a);
}

std::vector<Tensor> concat_backward(const Tensor& dy, const std::vector<int64_t>& sizes, int axis) {
  require_defined("concat backward", dy, "dy");
  const int a = checked_axis("concat backward", axis, dy.ndim());
  int64_t total = 0;
  for (auto s : sizes) {
    if (s <= 0) throw std::invalid_argument("concat backward: sizes must be positive");
    total += s;
  }
  if (sizes.empty() || total != dy.dim(a))
    throw std::invalid_argument("concat backward: sizes add up to " + std::to_string(total) +
                                " but dy " + to_string(dy.shape()) + " has " +
                                std::to_string(dy.dim(a)) + " along axis " + std::to_string(a));
  return backend_of("concat backward", dy).concat_backward(dy, sizes, a);
}

Tensor crop(const Tensor& x, const Shape& offsets, const Shape& shape) {
  require_defined("crop", x);
  check_box("crop", x.shape(), offsets, shape);
  return backend_of("crop", x).crop(x, offsets, shape);
}

Tensor crop_backward(const Tensor& dy, const Shape& x_shape, const Shape& offsets) {
  require_defined("crop backward", dy, "dy");
  check_box("crop backward", x_shape, offsets, dy.shape());
  return backend_of("crop backward", dy).crop_backward(dy, x_shape, offsets);
}

Tensor permute(const Tensor& x, const std::vector<int>& order) {
  require_defined("permute", x);
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  bool ok = int(order.size()) == x.ndim();
  for (size_t i = 0; ok && i < sorted.size(); ++i) ok = sorted[i] == int(i);
  if (!ok)
    throw std::invalid_argument("permute: the order does not name each axis of " +
                                to_string(x.shape()) + " once");
  return backend_of("permute", x).permute(x, order);
}

}  // namespace tessera
