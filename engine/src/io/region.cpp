#include "tessera/io/region.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace tessera {

namespace {

void require_same_rank(const Region& a, const Region& b) {
  if (a.origin.size() != a.size.size() || b.origin.size() != b.size.size() ||
      a.size.size() != b.size.size())
    throw std::invalid_argument("regions " + a.str() + " and " + b.str() +
                                " do not have the same number of axes");
}

// Where a box sits in a [C, *S] buffer.
struct Box {
  const Shape& size;    // spatial size of the buffer
  const Shape& origin;  // where the box starts in it
};

int64_t row_offset(const Box& b, int64_t channel, const Shape& index) {
  int64_t offset = channel;
  for (size_t a = 0; a < index.size(); ++a) offset = offset * b.size[a] + b.origin[a] + index[a];
  return offset;
}

// Copies a box of `box` voxels per channel from one [C, *S] buffer to another. Rows along the
// last (contiguous) axis are copied whole, so the cost is one memcpy per row.
void copy_box(const float* src, const Box& from, float* dst, const Box& to, const Shape& box,
              int64_t channels) {
  if (product(box) == 0) return;
  const size_t last = box.size() - 1;
  const size_t row_bytes = static_cast<size_t>(box[last]) * sizeof(float);
  Shape index(box.size(), 0);  // odometer over all axes but the last
  for (int64_t c = 0; c < channels; ++c) {
    std::fill(index.begin(), index.end(), 0);
    while (true) {
      std::memcpy(dst + row_offset(to, c, index), src + row_offset(from, c, index), row_bytes);
      size_t a = last;
      while (a > 0 && ++index[a - 1] == box[a - 1]) index[--a] = 0;
      if (a == 0) break;
    }
  }
}

void require_inside(const Shape& volume, const Region& region) {
  const Region whole{Shape(volume.size(), 0), volume};
  if (region.size.size() != volume.size() || !whole.contains(region))
    throw std::invalid_argument("region " + region.str() + " lies outside the volume " +
                                whole.str());
}

Shape volume_shape(int64_t channels, const Shape& size) {
  Shape shape{1, channels};
  shape.insert(shape.end(), size.begin(), size.end());
  return shape;
}

// Validated before allocating, so a bad request fails with a message, not a huge allocation.
Shape checked_sink_shape(int64_t channels, const Shape& size) {
  const bool bad_size = std::any_of(size.begin(), size.end(), [](int64_t s) { return s < 0; });
  if (channels < 1 || size.empty() || size.size() > 3 || bad_size)
    throw std::invalid_argument("TensorSink needs channels >= 1 and 1 to 3 spatial axes, got " +
                                std::to_string(channels) + " channels of " + to_string(size));
  return volume_shape(channels, size);
}

}  // namespace

bool Region::contains(const Region& r) const {
  require_same_rank(*this, r);
  for (size_t a = 0; a < size.size(); ++a) {
    if (r.size[a] < 0) return false;  // not a box at all
    if (r.origin[a] < origin[a] || r.origin[a] + r.size[a] > origin[a] + size[a]) return false;
  }
  return true;
}

Region Region::intersect(const Region& r) const {
  require_same_rank(*this, r);
  Region out{Shape(size.size()), Shape(size.size())};
  for (size_t a = 0; a < size.size(); ++a) {
    out.origin[a] = std::max(origin[a], r.origin[a]);
    const int64_t end = std::min(origin[a] + size[a], r.origin[a] + r.size[a]);
    out.size[a] = std::max<int64_t>(0, end - out.origin[a]);
  }
  return out;
}

bool Region::empty() const {
  return std::any_of(size.begin(), size.end(), [](int64_t s) { return s <= 0; });
}

std::string Region::str() const {
  std::string s = "[";
  for (size_t a = 0; a < size.size(); ++a) {
    if (a) s += ", ";
    const int64_t o = a < origin.size() ? origin[a] : 0;
    s += std::to_string(o) + ":" + std::to_string(o + size[a]);
  }
  return s + "]";
}

TensorSource::TensorSource(Tensor volume) : volume_(volume.to_plain()) {
  if (volume_.ndim() < 3 || volume_.ndim() > 5 || volume_.dim(0) != 1)
    throw std::invalid_argument(
        "TensorSource needs a [1, C, *S] tensor with 1 to 3 spatial axes, got " +
        to_string(volume_.shape()));
  info_.channels = volume_.dim(1);
  info_.size.assign(volume_.shape().begin() + 2, volume_.shape().end());
  info_.description = "in-memory tensor";
}

Tensor TensorSource::read(const Region& region) {
  require_inside(info_.size, region);
  Tensor out = Tensor::empty(volume_shape(info_.channels, region.size));
  const Shape zero(region.size.size(), 0);
  copy_box(volume_.data(), Box{info_.size, region.origin}, out.data(), Box{region.size, zero},
           region.size, info_.channels);
  return out;
}

TensorSink::TensorSink(int64_t channels, const Shape& size)
    : volume_(Tensor::zeros(checked_sink_shape(channels, size))) {}

void TensorSink::write(const Region& region, const Tensor& data) {
  const Shape size(volume_.shape().begin() + 2, volume_.shape().end());
  require_inside(size, region);
  const Shape expected = volume_shape(volume_.dim(1), region.size);
  if (data.shape() != expected)
    throw std::invalid_argument("data of shape " + to_string(data.shape()) + " written to region " +
                                region.str() + ": expected " + to_string(expected));
  const Tensor plain = data.to_plain();
  const Shape zero(region.size.size(), 0);
  copy_box(plain.data(), Box{region.size, zero}, volume_.data(), Box{size, region.origin},
           region.size, volume_.dim(1));
}

}  // namespace tessera
