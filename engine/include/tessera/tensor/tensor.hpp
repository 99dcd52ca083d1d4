#pragma once
// Tensor: dense float32 data of shape [N,C,W] (1D), [N,C,H,W] (2D), [N,C,D,H,W] (3D) or [N,F]
// (features), on a Device. The logical shape is always in that order; the physical order is a
// Layout, so convolutions can hand blocked layouts (nChw8c) to the next op without a reorder.
// `data()` is only for plain tensors in host memory; `to_plain()` and `to(Device::cpu())` give
// one.
//
//   Tensor x = Tensor::zeros({4, 1, 256, 256});
//   x.data()[0] = 1.f;
//   Tensor y = conv_forward(x, w, b, params);   // y may be in a blocked layout
//   float v = y.to_plain().data()[0];
//
// Copies share the buffer (like a handle); `clone()` copies the data.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tessera/tensor/device.hpp"
#include "tessera/tensor/layout.hpp"
#include "tessera/tensor/memory.hpp"

namespace tessera {

class Tensor {
 public:
  Tensor() = default;
  // Uninitialised tensor of `layout` (any layout, any data type) on `device`.
  explicit Tensor(const Layout& layout, Device device = Device::cpu());

  static Tensor empty(const Shape& shape, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, Device device = Device::cpu());
  static Tensor full(const Shape& shape, float value, Device device = Device::cpu());
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values);  // host
  // Zero-filled tensor of `layout`, padding included.
  static Tensor zeros(const Layout& layout, Device device = Device::cpu());
  // A tensor over memory the caller owns and keeps alive while the tensor is used (no copy).
  static Tensor borrow(void* data, const Layout& layout, Device device);

  bool defined() const { return buffer_ != nullptr; }
  const Shape& shape() const { return layout_.dims; }
  const Layout& layout() const { return layout_; }
  Device device() const { return buffer_ ? buffer_->device() : Device::cpu(); }
  int64_t dim(int i) const { return shape().at(static_cast<size_t>(i < 0 ? i + ndim() : i)); }
  int ndim() const { return static_cast<int>(shape().size()); }
  int spatial_dims() const { return ndim() - 2; }
  int64_t numel() const { return product(shape()); }
  std::size_t bytes() const { return layout_.bytes(); }
  bool is_plain() const { return plain_; }

  // Host, plain, float32 only; throws a clear error otherwise.
  float* data();
  const float* data() const;
  // The buffer's address on its device, any layout: for backends.
  void* raw() const { return buffer_ ? buffer_->data() : nullptr; }

  Tensor to(Device device) const;  // self when already there; plain on a GPU
  Tensor to_plain() const;         // self when already plain
  Tensor to_host_plain() const;    // plain in host memory, for the CPU to read; self when so
  Tensor to_layout(const Layout& layout) const;  // self when already in `layout`
  Tensor clone() const;
  Tensor reshape(const Shape& shape) const;  // plain only, shares the buffer
  std::vector<float> to_vector() const;      // from any device and layout
  void fill(float value);                    // plain only
  void copy_from(const Tensor& src);         // same shape and device; any layouts

 private:
  Layout layout_;
  bool plain_ = false;  // layout_ is row-major (checked once: data() is hot)
  std::shared_ptr<Buffer> buffer_;
};

}  // namespace tessera
