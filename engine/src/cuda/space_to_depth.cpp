// Space-to-depth on the GPU, as on the CPU a pure permutation: the plain big tensor [N,C,*S]
// seen through strides as [N, C, f.., S/f..] is exactly the plain small tensor
// [N, C*f^d, *S/f] (channel c*f^d + offset within the block, row-major), so one strided box
// copy (shape_kernels.cu) goes either way.
#include <cstddef>

#include "backend.hpp"
#include "shape_kernels.hpp"

namespace tessera::cuda {
namespace {

// The box [N, C, f.., S/f..] with its strides into the big tensor and into the small one.
struct BlockView {
  Shape dims, big_strides, small_strides;
};

BlockView block_view(const Shape& big, int64_t f) {
  const std::size_t spatial = big.size() - 2;
  const Shape strides = Layout::plain(big).strides;
  BlockView v;
  v.dims = {big[0], big[1]};
  v.big_strides = {strides[0], strides[1]};
  for (std::size_t i = 0; i < spatial; ++i) {  // offset within the block: one element a step
    v.dims.push_back(f);
    v.big_strides.push_back(strides[2 + i]);
  }
  for (std::size_t i = 0; i < spatial; ++i) {  // block index: f elements a step
    v.dims.push_back(big[2 + i] / f);
    v.big_strides.push_back(strides[2 + i] * f);
  }
  v.small_strides = Layout::plain(v.dims).strides;
  return v;
}

Shape small_shape(const Shape& big, int64_t f) {
  Shape s = big;
  for (std::size_t i = 2; i < s.size(); ++i) {
    s[1] *= f;
    s[i] /= f;
  }
  return s;
}

Shape big_shape(const Shape& small, int64_t f) {
  Shape s = small;
  for (std::size_t i = 2; i < s.size(); ++i) {
    s[1] /= f;
    s[i] *= f;
  }
  return s;
}

}  // namespace

Tensor CudaBackend::space_to_depth(const Tensor& x, int64_t factor) {
  use_device(device_);
  const BlockView v = block_view(x.shape(), factor);
  const Tensor small(Layout::plain(small_shape(x.shape(), factor)), Device::cuda(device_));
  launch_strided_copy(floats(x), floats(small), int(v.dims.size()), v.dims.data(),
                      v.big_strides.data(), v.small_strides.data());
  return small;
}

Tensor CudaBackend::depth_to_space(const Tensor& y, int64_t factor) {
  use_device(device_);
  const Shape big = big_shape(y.shape(), factor);
  const BlockView v = block_view(big, factor);
  const Tensor out(Layout::plain(big), Device::cuda(device_));
  launch_strided_copy(floats(y), floats(out), int(v.dims.size()), v.dims.data(),
                      v.small_strides.data(), v.big_strides.data());
  return out;
}

}  // namespace tessera::cuda
