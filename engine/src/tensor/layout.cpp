#include "tessera/tensor/layout.hpp"

#include <algorithm>
#include <stdexcept>

namespace tessera {

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

std::size_t size_of(DataType t) {
  switch (t) {
    case DataType::f32:
    case DataType::s32:
      return 4;
    case DataType::bf16:
    case DataType::f16:
      return 2;
    case DataType::s8:
    case DataType::u8:
      return 1;
  }
  return 4;
}

std::string to_string(DataType t) {
  switch (t) {
    case DataType::f32:
      return "f32";
    case DataType::bf16:
      return "bf16";
    case DataType::f16:
      return "f16";
    case DataType::s32:
      return "s32";
    case DataType::s8:
      return "s8";
    case DataType::u8:
      return "u8";
  }
  return "?";
}

namespace {

// Row-major strides of `dims`, each scaled by `inner` (the elements of one block).
Shape row_major_strides(const Shape& dims, int64_t inner) {
  Shape strides(dims.size(), inner);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

}  // namespace

Layout Layout::plain(const Shape& dims, DataType dtype) {
  return {dims, dtype, dims, row_major_strides(dims, 1), {}};
}

Layout Layout::channel_blocked(const Shape& dims, int64_t block, DataType dtype) {
  if (dims.size() < 3 || block < 1)
    throw std::invalid_argument("channel_blocked: shape " + to_string(dims) +
                                " needs channels and space, block " + std::to_string(block) +
                                " must be >= 1");
  Shape padded = dims;
  padded[1] = (dims[1] + block - 1) / block * block;
  Shape outer = padded;
  outer[1] /= block;
  return {dims, dtype, padded, row_major_strides(outer, block), {{1, block}}};
}

namespace {

// Whether the strides of `a` and `b` place every element alike: dims of size 1 do not count.
bool same_strides(const Shape& dims, const Shape& padded, const Shape& a, const Shape& b) {
  if (a.size() != dims.size() || b.size() != dims.size()) return false;
  for (size_t d = 0; d < dims.size(); ++d)
    if (!(dims[d] == 1 && padded[d] == 1) && a[d] != b[d]) return false;
  return true;
}

}  // namespace

bool Layout::operator==(const Layout& o) const {
  return dims == o.dims && dtype == o.dtype && padded_dims == o.padded_dims && blocks == o.blocks &&
         same_strides(dims, padded_dims, strides, o.strides);
}

bool Layout::is_plain() const {
  return blocks.empty() && padded_dims == dims &&
         same_strides(dims, dims, strides, row_major_strides(dims, 1));
}

// The extent of the buffer: the largest outer step over all dims (oneDNN's convention, so that
// both agree on every layout it hands out).
std::size_t Layout::bytes() const {
  int64_t inner = 1, extent = 0;
  for (const Block& b : blocks) inner *= b.size;
  for (size_t d = 0; d < dims.size(); ++d) {
    int64_t block = 1;
    for (const Block& b : blocks)
      if (size_t(b.dim) == d) block *= b.size;
    extent = std::max(extent, padded_dims[d] / block * strides[d]);
  }
  if (extent == 1 && !blocks.empty()) extent = inner;
  return size_t(extent) * size_of(dtype);
}

std::string to_string(const Layout& l) {
  std::string s = to_string(l.dtype) + " " + to_string(l.dims);
  if (l.is_plain()) return s + " plain";
  s += " strides " + to_string(l.strides);
  if (l.padded_dims != l.dims) s += " padded " + to_string(l.padded_dims);
  for (const Layout::Block& b : l.blocks)
    s += " block " + std::to_string(b.dim) + ":" + std::to_string(b.size);
  return s;
}

}  // namespace tessera
