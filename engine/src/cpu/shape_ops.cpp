#include "tessera/ops/shape_ops.hpp"

#include <stdexcept>
#include <utility>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

int checked_axis(const std::string& what, int axis, int ndim) {
  const int a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim)
    throw std::invalid_argument(what + ": axis " + std::to_string(axis) +
                                " is out of range for rank " + std::to_string(ndim));
  return a;
}

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
  return plain_desc(dims, md.data_type());
}

// Whether the box (dims at offsets) is a valid view of `md`: blocked layouts cannot be cut
// inside a block (e.g. at channel 3 of nChw8c).
bool can_view(const memory::desc& md, const memory::dims& dims, const memory::dims& offsets) {
  return !md.submemory_desc(dims, offsets, /*allow_empty=*/true).is_zero();
}

memory view(const Tensor& t, const memory::dims& dims, const memory::dims& offsets) {
  return memory(t.desc().submemory_desc(dims, offsets), dnnl_util::engine(), t.raw());
}

// The box of `src` as a new tensor in src's layout; `src` must allow the view.
Tensor extract(const Tensor& src, const Shape& dims, const Shape& offsets) {
  Tensor out(layout_like(src.desc(), dims));
  dnnl_util::reorder(view(src, dims, offsets), out.memory());
  return out;
}

void check_box(const std::string& what, const Shape& outer, const Shape& offsets,
               const Shape& inner) {
  bool ok = offsets.size() == outer.size() && inner.size() == outer.size();
  for (size_t i = 0; ok && i < outer.size(); ++i)
    ok = offsets[i] >= 0 && inner[i] > 0 && offsets[i] + inner[i] <= outer[i];
  if (!ok)
    throw std::invalid_argument(what + ": box " + to_string(inner) + " at offsets " +
                                to_string(offsets) + " does not fit in " + to_string(outer));
}

dnnl::concat::primitive_desc concat_pd(const std::vector<memory::desc>& mds, int axis) {
  memory::dims dims = mds[0].dims();
  dims[axis] = 0;
  for (const auto& md : mds) dims[axis] += md.dims()[axis];
  return dnnl::concat::primitive_desc(dnnl_util::any_desc(dims), axis, mds, dnnl_util::engine(),
                                      dnnl_util::default_attr());
}

// The pd's source layouts are the inputs' own, or plain where those could not be concatenated.
const dnnl_util::Cached<dnnl::concat>& concat_entry(const std::vector<Tensor>& xs, int axis) {
  dnnl_util::Key key("concat");
  key.add(int64_t(axis));
  std::vector<memory::desc> mds;
  for (const auto& x : xs) {
    key.add(x.desc());
    mds.push_back(x.desc());
  }
  return dnnl_util::cached<dnnl::concat>(key, [&] {
    try {
      return concat_pd(mds, axis);
    } catch (const dnnl::error&) {
      // Blocked inputs whose sizes along the axis are not block multiples (C=3 in nChw8c).
      for (auto& md : mds) md = plain_desc(md.dims());
      return concat_pd(mds, axis);
    }
  });
}

}  // namespace

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw std::invalid_argument("concat: no inputs");
  for (const auto& x : xs)
    if (!x.defined()) throw std::invalid_argument("concat: undefined input");
  const int a = checked_axis("concat", axis, xs[0].ndim());
  for (const auto& x : xs) {
    Shape s0 = xs[0].shape(), s = x.shape();
    if (s.size() == s0.size()) s0[a] = s[a];
    if (s != s0)
      throw std::invalid_argument("concat: input " + to_string(x.shape()) + " differs from " +
                                  to_string(xs[0].shape()) + " outside axis " + std::to_string(a));
  }
  const auto& e = concat_entry(xs, a);
  Tensor y(e.pd.dst_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_DST, y.memory()}};
  std::vector<Tensor> keep;  // plain copies must outlive the execution
  for (size_t i = 0; i < xs.size(); ++i) {
    keep.push_back(xs[i].to_layout(e.pd.src_desc(int(i))));
    args.insert({DNNL_ARG_MULTIPLE_SRC + int(i), keep.back().memory()});
  }
  dnnl_util::execute(e, std::move(args));
  return y;
}

std::vector<Tensor> concat_backward(const Tensor& dy, const std::vector<int64_t>& sizes, int axis) {
  if (!dy.defined()) throw std::invalid_argument("concat backward: undefined dy");
  const int a = checked_axis("concat backward", axis, dy.ndim());
  int64_t total = 0;
  for (auto s : sizes) {
    if (s <= 0) throw std::invalid_argument("concat backward: sizes must be positive");
    total += s;
  }
  if (sizes.empty() || total != dy.dim(a))
    throw std::invalid_argument("concat backward: sizes add up to " + std::to_string(total) +
                                " but dy " + to_string(dy.shape()) + " has " +
                                std::to_string(dy.dim(a)) + " along axis " + std::to_string(a));
  // Slice boxes: all of dy but `sizes[i]` along the axis, one after another.
  std::vector<Shape> dims(sizes.size(), dy.shape()), offsets(sizes.size(), Shape(dy.ndim(), 0));
  bool viewable = true;
  int64_t start = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    dims[i][a] = sizes[i];
    offsets[i][a] = start;
    start += sizes[i];
    viewable = viewable && can_view(dy.desc(), dims[i], offsets[i]);
  }
  const Tensor src = viewable ? dy : dy.to_plain();
  std::vector<Tensor> dxs;
  for (size_t i = 0; i < sizes.size(); ++i) dxs.push_back(extract(src, dims[i], offsets[i]));
  return dxs;
}

Tensor crop(const Tensor& x, const Shape& offsets, const Shape& shape) {
  if (!x.defined()) throw std::invalid_argument("crop: undefined input");
  check_box("crop", x.shape(), offsets, shape);
  return extract(can_view(x.desc(), shape, offsets) ? x : x.to_plain(), shape, offsets);
}

Tensor crop_backward(const Tensor& dy, const Shape& x_shape, const Shape& offsets) {
  if (!dy.defined()) throw std::invalid_argument("crop backward: undefined dy");
  check_box("crop backward", x_shape, offsets, dy.shape());
  Tensor dx = Tensor::zeros_like(layout_like(dy.desc(), x_shape));
  if (!can_view(dx.desc(), dy.shape(), offsets)) dx = Tensor::zeros(x_shape);
  dnnl_util::reorder(dy.memory(), view(dx, dy.shape(), offsets));
  return dx;
}

}  // namespace tessera
