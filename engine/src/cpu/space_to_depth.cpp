// Space-to-depth is a pure permutation, done as one oneDNN reorder between two views of the
// same bytes: the input seen as [N, C, (f)^d, *S/f] through strides, and the plain output.
#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {

namespace {

using dnnl::memory;

// Dims [N, C, f.., S/f..] and the strides that read them out of a plain [N,C,*S] tensor.
struct BlockView {
  memory::dims dims, strides;
};

BlockView block_view(const Shape& big, int64_t f) {
  const size_t sd = big.size() - 2;
  Shape plain_strides(big.size(), 1);
  for (size_t i = big.size() - 1; i-- > 0;) plain_strides[i] = plain_strides[i + 1] * big[i + 1];
  BlockView v;
  v.dims = {big[0], big[1]};
  v.strides = {plain_strides[0], plain_strides[1]};
  for (size_t i = 0; i < sd; ++i) {  // offset within the block: one element step
    v.dims.push_back(f);
    v.strides.push_back(plain_strides[2 + i]);
  }
  for (size_t i = 0; i < sd; ++i) {  // block index: f elements per step
    v.dims.push_back(big[2 + i] / f);
    v.strides.push_back(plain_strides[2 + i] * f);
  }
  return v;
}

// Copies between the plain big tensor and the plain small one through the block view.
void permute_blocks(const Tensor& big, const Tensor& small, int64_t f, bool to_small) {
  const BlockView v = block_view(big.shape(), f);
  const memory::desc view_md(v.dims, memory::data_type::f32, v.strides);
  const memory::desc small_md(v.dims, memory::data_type::f32,
                              dnnl_util::plain_tag(int(v.dims.size())));
  const memory view(view_md, dnnl_util::engine(), big.raw());
  const memory dense(small_md, dnnl_util::engine(), small.raw());
  if (to_small)
    dnnl_util::reorder(view, dense);
  else
    dnnl_util::reorder(dense, view);
}

Shape small_shape(const Shape& big, int64_t f) {
  Shape s = big;
  for (size_t i = 2; i < s.size(); ++i) {
    s[1] *= f;
    s[i] /= f;
  }
  return s;
}

}  // namespace

Tensor CpuBackend::space_to_depth(const Tensor& x, int64_t factor) {
  const Tensor big = x.to_plain();
  Tensor small = Tensor::empty(small_shape(big.shape(), factor));
  permute_blocks(big, small, factor, true);
  return small;
}

Tensor CpuBackend::depth_to_space(const Tensor& y, int64_t factor) {
  Shape big_shape = y.shape();
  int64_t block = 1;
  for (size_t i = 2; i < big_shape.size(); ++i) {
    big_shape[i] *= factor;
    block *= factor;
  }
  big_shape[1] /= block;
  const Tensor small = y.to_plain();
  Tensor big = Tensor::empty(big_shape);
  permute_blocks(big, small, factor, false);
  return big;
}

}  // namespace tessera::cpu
