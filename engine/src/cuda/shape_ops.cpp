// Concatenation, crops and permutations on the GPU: each is one or more strided box copies
// (shape_kernels.cu) between plain tensors, the box placed by offsetting the base pointers.
#include <cstddef>

#include "backend.hpp"
#include "shape_kernels.hpp"

namespace tessera::cuda {
namespace {

Shape plain_strides(const Shape& shape) {
  return Layout::plain(shape).strides;
}

// The element offset of `offsets` in a plain tensor of `shape`.
int64_t flat_offset(const Shape& shape, const Shape& offsets) {
  const Shape strides = plain_strides(shape);
  int64_t at = 0;
  for (std::size_t d = 0; d < offsets.size(); ++d) at += offsets[d] * strides[d];
  return at;
}

// Copies the box `box` of `src` starting at `src_at` into `dst` at `dst_at` (all plain).
void copy_box(const Tensor& src, const Shape& src_at, const Tensor& dst, const Shape& dst_at,
              const Shape& box) {
  const Shape src_strides = plain_strides(src.shape()), dst_strides = plain_strides(dst.shape());
  launch_strided_copy(floats(src) + flat_offset(src.shape(), src_at),
                      floats(dst) + flat_offset(dst.shape(), dst_at), int(box.size()), box.data(),
                      src_strides.data(), dst_strides.data());
}

}  // namespace

Tensor CudaBackend::concat(const std::vector<Tensor>& xs, int axis) {
  use_device(device_);
  Shape shape = xs[0].shape();
  shape[size_t(axis)] = 0;
  for (const Tensor& x : xs) shape[size_t(axis)] += x.dim(axis);
  const Tensor out(Layout::plain(shape), Device::cuda(device_));
  Shape at(shape.size(), 0);
  for (const Tensor& x : xs) {
    copy_box(x, Shape(shape.size(), 0), out, at, x.shape());
    at[size_t(axis)] += x.dim(axis);
  }
  return out;
}

std::vector<Tensor> CudaBackend::concat_backward(const Tensor& dy,
                                                 const std::vector<int64_t>& sizes, int axis) {
  use_device(device_);
  std::vector<Tensor> dxs;
  Shape at(dy.shape().size(), 0);
  for (const int64_t size : sizes) {
    Shape shape = dy.shape();
    shape[size_t(axis)] = size;
    const Tensor dx(Layout::plain(shape), Device::cuda(device_));
    copy_box(dy, at, dx, Shape(shape.size(), 0), shape);
    at[size_t(axis)] += size;
    dxs.push_back(dx);
  }
  return dxs;
}

Tensor CudaBackend::crop(const Tensor& x, const Shape& offsets, const Shape& shape) {
  use_device(device_);
  const Tensor out(Layout::plain(shape), Device::cuda(device_));
  copy_box(x, offsets, out, Shape(shape.size(), 0), shape);
  return out;
}

Tensor CudaBackend::crop_backward(const Tensor& dy, const Shape& x_shape, const Shape& offsets) {
  use_device(device_);
  const Tensor dx = Tensor::zeros(Layout::plain(x_shape), Device::cuda(device_));
  copy_box(dy, Shape(x_shape.size(), 0), dx, offsets, dy.shape());
  return dx;
}

// The box is the output's shape; reading x through its strides in the new order permutes it.
Tensor CudaBackend::permute(const Tensor& x, const std::vector<int>& order) {
  use_device(device_);
  const Shape x_strides = plain_strides(x.shape());
  Shape shape, src_strides;
  for (const int axis : order) {
    shape.push_back(x.dim(axis));
    src_strides.push_back(x_strides[size_t(axis)]);
  }
  const Tensor out(Layout::plain(shape), Device::cuda(device_));
  const Shape dst_strides = plain_strides(shape);
  launch_strided_copy(floats(x), floats(out), int(shape.size()), shape.data(), src_strides.data(),
                      dst_strides.data());
  return out;
}

}  // namespace tessera::cuda
