#pragma once
// Tensor: dense float32 data of shape [N,C,W] (1D), [N,C,H,W] (2D), [N,C,D,H,W] (3D) or [N,F]
// (features). The logical shape is always in that order; the physical layout is a oneDNN
// memory descriptor, so convolutions can hand blocked layouts (nChw8c) to the next op without
// a reorder. `data()` is only for plain (row-major) tensors; `to_plain()` gives one.
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

#include <dnnl.hpp>

#include "tessera/tensor/memory.hpp"

namespace tessera {

using Shape = std::vector<int64_t>;

std::string to_string(const Shape& shape);
int64_t product(const Shape& shape);
// Plain row-major descriptor of the given shape.
dnnl::memory::desc plain_desc(const Shape& shape,
                              dnnl::memory::data_type dt = dnnl::memory::data_type::f32);

class Tensor {
 public:
  Tensor() = default;
  // Uninitialised tensor of descriptor `md` (any layout, any data type).
  explicit Tensor(const dnnl::memory::desc& md);

  static Tensor empty(const Shape& shape);
  static Tensor zeros(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values);
  // Zero-filled tensor with the layout of `md`.
  static Tensor zeros_like(const dnnl::memory::desc& md);

  bool defined() const { return buffer_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_.at(static_cast<size_t>(i < 0 ? i + ndim() : i)); }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int spatial_dims() const { return ndim() - 2; }
  int64_t numel() const { return product(shape_); }
  std::size_t bytes() const { return md_.get_size(); }
  const dnnl::memory::desc& desc() const { return md_; }
  bool is_plain() const;

  float* data();
  const float* data() const;
  void* raw() const { return buffer_ ? buffer_->data() : nullptr; }
  dnnl::memory memory() const;

  Tensor to_plain() const;                               // self when already plain
  Tensor to_layout(const dnnl::memory::desc& md) const;  // self when already in `md`
  Tensor clone() const;
  Tensor reshape(const Shape& shape) const;  // plain only, shares the buffer
  std::vector<float> to_vector() const;
  void fill(float value);             // plain only
  void copy_from(const Tensor& src);  // same shape; any layouts

 private:
  Shape shape_;
  dnnl::memory::desc md_;
  bool plain_ = false;  // md_ is the row-major layout of shape_ (checked once: data() is hot)
  std::shared_ptr<Buffer> buffer_;
};

}  // namespace tessera
