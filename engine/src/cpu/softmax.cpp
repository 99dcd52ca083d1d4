#include "tessera/ops/softmax.hpp"

#include <stdexcept>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {
namespace {

using dnnl::memory;

int checked_axis(const std::string& what, const Tensor& t, int axis) {
  if (!t.defined()) throw std::invalid_argument(what + ": undefined input");
  const int a = axis < 0 ? axis + t.ndim() : axis;
  if (a < 0 || a >= t.ndim())
    throw std::invalid_argument(what + ": axis " + std::to_string(axis) + " is out of range for " +
                                to_string(t.shape()));
  return a;
}

// Forward pd on layout `md`; backward re-fetches it as its hint.
const dnnl_util::Cached<dnnl::softmax_forward>& forward_entry(const memory::desc& md, int axis) {
  dnnl_util::Key key("softmax_fwd");
  key.add(md).add(int64_t(axis));
  return dnnl_util::cached<dnnl::softmax_forward>(key, [&] {
    dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_training, md, axis);
    return dnnl::softmax_forward::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine());
  });
}

const dnnl_util::Cached<dnnl::softmax_backward>& backward_entry(const memory::desc& md, int axis) {
  dnnl_util::Key key("softmax_bwd");
  key.add(md).add(int64_t(axis));
  return dnnl_util::cached<dnnl::softmax_backward>(key, [&] {
    dnnl::softmax_backward::desc d(md, md, axis);
    return dnnl::softmax_backward::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine(),
                                                  forward_entry(md, axis).pd);
  });
}

}  // namespace

Tensor softmax_forward(const Tensor& x, int axis) {
  const int a = checked_axis("softmax", x, axis);
  const auto& e = forward_entry(x.desc(), a);
  Tensor y(e.pd.dst_desc());
  dnnl_util::execute(e, {{DNNL_ARG_SRC, x.memory()}, {DNNL_ARG_DST, y.memory()}});
  return y;
}

Tensor softmax_backward(const Tensor& y, const Tensor& dy, int axis) {
  const int a = checked_axis("softmax backward", y, axis);
  if (!dy.defined() || dy.shape() != y.shape())
    throw std::invalid_argument("softmax backward: dy " +
                                (dy.defined() ? to_string(dy.shape()) : std::string("undefined")) +
                                " must have the shape of y " + to_string(y.shape()));
  const auto& e = backward_entry(y.desc(), a);
  Tensor dx(e.pd.diff_src_desc());
  dnnl_util::execute(e, {{DNNL_ARG_DST, y.memory()},
                         {DNNL_ARG_DIFF_DST, dy.to_layout(e.pd.diff_dst_desc()).memory()},
                         {DNNL_ARG_DIFF_SRC, dx.memory()}});
  return dx;
}

}  // namespace tessera
