#include "tessera/tensor/tensor.hpp"

#include <algorithm>
#include <stdexcept>

#include "../ops/backend.hpp"

namespace tessera {

Tensor::Tensor(const Layout& layout, Device device)
    : layout_(layout),
      plain_(layout.is_plain()),
      buffer_(std::make_shared<Buffer>(layout.bytes(), device)) {}

Tensor Tensor::empty(const Shape& shape, Device device) {
  for (auto d : shape)
    if (d <= 0)
      throw std::invalid_argument("tensor shape " + to_string(shape) + " has a dimension <= 0");
  return Tensor(Layout::plain(shape), device);
}

Tensor Tensor::zeros(const Shape& shape, Device device) {
  return full(shape, 0.f, device);
}

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  Tensor t = empty(shape, device);
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

Tensor Tensor::zeros(const Layout& layout, Device device) {
  Tensor t(layout, device);
  backend_for(device).zero(t);
  return t;
}

Tensor Tensor::borrow(void* data, const Layout& layout, Device device) {
  Tensor t;
  t.layout_ = layout;
  t.plain_ = layout.is_plain();
  t.buffer_ = Buffer::borrow(data, layout.bytes(), device);
  return t;
}

float* Tensor::data() {
  if (!defined()) throw std::logic_error("data() of an undefined tensor");
  if (!device().is_host())
    throw std::logic_error("data() of a tensor on " + to_string(device()) +
                           ", which the CPU cannot read; copy it with to(Device::cpu())");
  if (!is_plain())
    throw std::logic_error("data() of a tensor in a blocked layout; call to_plain()");
  if (layout_.dtype != DataType::f32)
    throw std::logic_error("data() of a " + to_string(layout_.dtype) + " tensor, not f32");
  return static_cast<float*>(buffer_->data());
}

const float* Tensor::data() const {
  return const_cast<Tensor*>(this)->data();
}

namespace {
// Copies between two devices go through the backend of the one that is not the host.
Backend& backend_between(Device a, Device b) {
  return backend_for(a.is_host() ? b : a);
}
}  // namespace

Tensor Tensor::to(Device device) const {
  if (!defined() || device == this->device()) return *this;
  // A GPU holds plain tensors only (oneDNN's blocked layouts are the CPU's): reorder here first.
  const Tensor src = device.is_host() ? *this : to_plain();
  Tensor out(src.layout_, device);
  backend_between(this->device(), device).copy(src, out);
  return out;
}

Tensor Tensor::to_layout(const Layout& layout) const {
  if (!defined() || layout == layout_) return *this;
  Tensor out(layout, device());
  backend_for(device()).copy(*this, out);
  return out;
}

Tensor Tensor::to_plain() const {
  return plain_ ? *this : to_layout(Layout::plain(shape(), layout_.dtype));
}

Tensor Tensor::clone() const {
  if (!defined()) return *this;
  Tensor out(layout_, device());
  backend_for(device()).copy(*this, out);
  return out;
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (product(shape) != numel())
    throw std::invalid_argument("reshape " + to_string(this->shape()) + " to " + to_string(shape) +
                                ": element counts differ");
  if (!is_plain()) return to_plain().reshape(shape);
  Tensor t = *this;
  t.layout_ = Layout::plain(shape, layout_.dtype);
  return t;
}

Tensor Tensor::to_host_plain() const {
  return to(Device::cpu()).to_plain();
}

std::vector<float> Tensor::to_vector() const {
  const Tensor p = to_host_plain();
  return std::vector<float>(p.data(), p.data() + p.numel());
}

void Tensor::fill(float value) {
  if (!is_plain()) throw std::logic_error("fill() of a tensor in a blocked layout");
  backend_for(device()).fill(*this, value);
}

void Tensor::copy_from(const Tensor& src) {
  if (src.shape() != shape())
    throw std::invalid_argument("copy_from: shape " + to_string(src.shape()) + " into " +
                                to_string(shape()));
  backend_between(src.device(), device()).copy(src, *this);
}

}  // namespace tessera
