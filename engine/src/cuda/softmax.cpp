// Softmax along one axis on the GPU (softmax_kernels.cu): the tensor viewed as
// [outer, length, inner] around the axis.
#include "backend.hpp"
#include "softmax_kernels.hpp"

namespace tessera::cuda {
namespace {

struct AxisView {
  int64_t outer = 1, length = 1, inner = 1;
};

AxisView view_around(const Shape& shape, int axis) {
  AxisView v;
  for (int i = 0; i < int(shape.size()); ++i) {
    if (i < axis) v.outer *= shape[i];
    if (i == axis) v.length = shape[i];
    if (i > axis) v.inner *= shape[i];
  }
  return v;
}

}  // namespace

Tensor CudaBackend::softmax_forward(const Tensor& x, int axis) {
  use_device(device_);
  const Tensor y(Layout::plain(x.shape()), Device::cuda(device_));
  const AxisView v = view_around(x.shape(), axis);
  launch_softmax_forward(floats(x), floats(y), v.outer, v.length, v.inner);
  return y;
}

Tensor CudaBackend::softmax_backward(const Tensor& y, const Tensor& dy, int axis) {
  use_device(device_);
  const Tensor dx(Layout::plain(y.shape()), Device::cuda(device_));
  const AxisView v = view_around(y.shape(), axis);
  launch_softmax_backward(floats(y), floats(dy), floats(dx), v.outer, v.length, v.inner);
  return dx;
}

}  // namespace tessera::cuda
