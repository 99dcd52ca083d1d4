#include "tessera/tensor/tensor.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {

using dnnl::memory;

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t product(const Shape& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

memory::desc plain_desc(const Shape& shape, memory::data_type dt) {
  return memory::desc(shape, dt, dnnl_util::plain_tag(static_cast<int>(shape.size())));
}

Tensor::Tensor(const memory::desc& md)
    : shape_(md.dims()),
      md_(md),
      plain_(md == plain_desc(shape_, md.data_type())),
      buffer_(std::make_shared<Buffer>(md.get_size())) {}

Tensor Tensor::empty(const Shape& shape) {
  for (auto d : shape)
    if (d <= 0)
      throw std::invalid_argument("tensor shape " + to_string(shape) + " has a dimension <= 0");
  return Tensor(plain_desc(shape));
}

Tensor Tensor::zeros(const Shape& shape) {
  return full(shape, 0.f);
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  t.fill(value);
  return t;
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values) {
  if (static_cast<int64_t>(values.size()) != product(shape))
    throw std::invalid_argument("from_vector: " + std::to_string(values.size()) +
                                " values do not fill shape " + to_string(shape));
  Tensor t = empty(shape);
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

Tensor Tensor::zeros_like(const memory::desc& md) {
  Tensor t(md);
  std::memset(t.raw(), 0, md.get_size());
  return t;
}

bool Tensor::is_plain() const {
  return plain_;
}

float* Tensor::data() {
  if (!defined()) throw std::logic_error("data() of an undefined tensor");
  if (!is_plain())
    throw std::logic_error("data() of a tensor in a blocked layout; call to_plain()");
  return static_cast<float*>(buffer_->data());
}

const float* Tensor::data() const {
  return const_cast<Tensor*>(this)->data();
}

memory Tensor::memory() const {
  return dnnl::memory(md_, dnnl_util::engine(), buffer_ ? buffer_->data() : nullptr);
}

Tensor Tensor::to_layout(const memory::desc& md) const {
  if (md == md_) return *this;
  Tensor out(md);
  dnnl_util::reorder(memory(), out.memory());
  return out;
}

Tensor Tensor::to_plain() const {
  return to_layout(plain_desc(shape_, md_.data_type()));
}

Tensor Tensor::clone() const {
  Tensor out(md_);
  std::memcpy(out.raw(), raw(), bytes());
  return out;
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (product(shape) != numel())
    throw std::invalid_argument("reshape " + to_string(shape_) + " to " + to_string(shape) +
                                ": element counts differ");
  if (!is_plain()) return to_plain().reshape(shape);
  Tensor t = *this;
  t.shape_ = shape;
  t.md_ = plain_desc(shape, md_.data_type());
  t.plain_ = true;
  return t;
}

std::vector<float> Tensor::to_vector() const {
  Tensor p = to_plain();
  return std::vector<float>(p.data(), p.data() + p.numel());
}

void Tensor::fill(float value) {
  float* d = data();
  std::fill(d, d + numel(), value);
}

void Tensor::copy_from(const Tensor& src) {
  if (src.shape() != shape_)
    throw std::invalid_argument("copy_from: shape " + to_string(src.shape()) + " into " +
                                to_string(shape_));
  dnnl_util::reorder(src.memory(), memory());
}

}  // namespace tessera
