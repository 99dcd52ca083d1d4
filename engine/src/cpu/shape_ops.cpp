// Concatenation, crops and permutations as oneDNN reorders between views of the same bytes.
#include <utility>

#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
namespace du = dnnl_util;

// A descriptor of `dims` in the same layout as `md` (plain, channels-last or channel-blocked),
// or plain when `md` is none of those (e.g. a view).
memory::desc layout_like(const memory::desc& md, const memory::dims& dims) {
  static const std::pair<tag, int> candidates[] = {
      {tag::acb, 3},   {tag::aBc4b, 3},   {tag::aBc8b, 3},   {tag::aBc16b, 3},
      {tag::acdb, 4},  {tag::aBcd4b, 4},  {tag::aBcd8b, 4},  {tag::aBcd16b, 4},
      {tag::acdeb, 5}, {tag::aBcde4b, 5}, {tag::aBcde8b, 5}, {tag::aBcde16b, 5}};
  for (const auto& [t, ndims] : candidates)
    if (ndims == md.data.ndims && memory::desc(md.dims(), md.data_type(), t) == md)
      return memory::desc(dims, md.data_type(), t);
  return du::plain_desc(dims, md.data_type());
}

// Whether the box (dims at offsets) is a valid view of `md`: blocked layouts cannot be cut
// inside a block (e.g. at channel 3 of nChw8c).
bool can_view(const memory::desc& md, const memory::dims& dims, const memory::dims& offsets) {
  return !md.submemory_desc(dims, offsets, /*allow_empty=*/true).is_zero();
}

memory view(const Tensor& t, const memory::dims& dims, const memory::dims& offsets) {
  return memory(du::desc_of(t).submemory_desc(dims, offsets), du::engine(), t.raw());
}

// The box of `src` as a new tensor in src's layout; `src` must allow the view.
Tensor extract(const Tensor& src, const Shape& dims, const Shape& offsets) {
  Tensor out = du::make_tensor(layout_like(du::desc_of(src), dims));
  du::reorder(view(src, dims, offsets), du::memory_of(out));
  return out;
}

dnnl::concat::primitive_desc concat_pd(const std::vector<memory::desc>& mds, int axis) {
  memory::dims dims = mds[0].dims();
  dims[axis] = 0;
  for (const auto& md : mds) dims[axis] += md.dims()[axis];
  return dnnl::concat::primitive_desc(du::any_desc(dims), axis, mds, du::engine(),
                                      du::default_attr());
}

// The pd's source layouts are the inputs' own, or plain where those could not be concatenated.
const du::Cached<dnnl::concat>& concat_entry(const std::vector<Tensor>& xs, int axis) {
  du::Key key("concat");
  key.add(int64_t(axis));
  std::vector<memory::desc> mds;
  for (const auto& x : xs) {
    mds.push_back(du::desc_of(x));
    key.add(mds.back());
  }
  return du::cached<dnnl::concat>(key, [&] {
    try {
      return concat_pd(mds, axis);
    } catch (const dnnl::error&) {
      // Blocked inputs whose sizes along the axis are not block multiples (C=3 in nChw8c).
      for (auto& md : mds) md = du::plain_desc(md.dims());
      return concat_pd(mds, axis);
    }
  });
}

}  // namespace

Tensor CpuBackend::concat(const std::vector<Tensor>& xs, int a) {
  const auto& e = concat_entry(xs, a);
  Tensor y = du::make_tensor(e.pd.dst_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_DST, du::memory_of(y)}};
  std::vector<du::Operand> keep;  // plain copies must outlive the execution
  for (size_t i = 0; i < xs.size(); ++i) {
    keep.push_back(du::in_layout(xs[i], e.pd.src_desc(int(i))));
    args.insert({DNNL_ARG_MULTIPLE_SRC + int(i), keep.back().memory});
  }
  du::execute(e, std::move(args));
  return y;
}

std::vector<Tensor> CpuBackend::concat_backward(const Tensor& dy, const std::vector<int64_t>& sizes,
                                                int a) {
  // Slice boxes: all of dy but `sizes[i]` along the axis, one after another.
  const memory::desc dy_md = du::desc_of(dy);
  std::vector<Shape> dims(sizes.size(), dy.shape()), offsets(sizes.size(), Shape(dy.ndim(), 0));
  bool viewable = true;
  int64_t start = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    dims[i][a] = sizes[i];
    offsets[i][a] = start;
    start += sizes[i];
    viewable = viewable && can_view(dy_md, dims[i], offsets[i]);
  }
  const Tensor src = viewable ? dy : dy.to_plain();
  std::vector<Tensor> dxs;
  for (size_t i = 0; i < sizes.size(); ++i) dxs.push_back(extract(src, dims[i], offsets[i]));
  return dxs;
}

Tensor CpuBackend::crop(const Tensor& x, const Shape& offsets, const Shape& shape) {
  return extract(can_view(du::desc_of(x), shape, offsets) ? x : x.to_plain(), shape, offsets);
}

Tensor CpuBackend::crop_backward(const Tensor& dy, const Shape& x_shape, const Shape& offsets) {
  Tensor dx = du::make_zeros(layout_like(du::desc_of(dy), x_shape));
  if (!can_view(du::desc_of(dx), dy.shape(), offsets)) dx = Tensor::zeros(x_shape);
  du::reorder(du::memory_of(dy), view(dx, dy.shape(), offsets));
  return dx;
}

// One reorder from a strided view of the plain input (its axes read in the new order) into the
// plain output.
Tensor CpuBackend::permute(const Tensor& x, const std::vector<int>& order) {
  const Tensor p = x.to_plain();
  const Shape strides = Layout::plain(p.shape()).strides;
  memory::dims dims, view_strides;
  for (int axis : order) {
    dims.push_back(p.dim(axis));
    view_strides.push_back(strides[size_t(axis)]);
  }
  Tensor out = Tensor::empty(dims);
  const memory view(memory::desc(dims, memory::data_type::f32, view_strides), du::engine(),
                    p.raw());
  du::reorder(view, du::memory_of(out));
  return out;
}

}  // namespace tessera::cpu
