// Softmax along one axis on oneDNN.
#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {
namespace {

using dnnl::memory;
namespace du = dnnl_util;

// Forward pd on layout `md`; backward re-fetches it as its hint.
const du::Cached<dnnl::softmax_forward>& forward_entry(const memory::desc& md, int axis) {
  du::Key key("softmax_fwd");
  key.add(md).add(int64_t(axis));
  return du::cached<dnnl::softmax_forward>(key, [&] {
    dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_training, md, axis);
    return dnnl::softmax_forward::primitive_desc(d, du::default_attr(), du::engine());
  });
}

const du::Cached<dnnl::softmax_backward>& backward_entry(const memory::desc& md, int axis) {
  du::Key key("softmax_bwd");
  key.add(md).add(int64_t(axis));
  return du::cached<dnnl::softmax_backward>(key, [&] {
    dnnl::softmax_backward::desc d(md, md, axis);
    return dnnl::softmax_backward::primitive_desc(d, du::default_attr(), du::engine(),
                                                  forward_entry(md, axis).pd);
  });
}

}  // namespace

Tensor CpuBackend::softmax_forward(const Tensor& x, int axis) {
  const auto& e = forward_entry(du::desc_of(x), axis);
  Tensor y = du::make_tensor(e.pd.dst_desc());
  du::execute(e, {{DNNL_ARG_SRC, du::memory_of(x)}, {DNNL_ARG_DST, du::memory_of(y)}});
  return y;
}

Tensor CpuBackend::softmax_backward(const Tensor& y, const Tensor& dy, int axis) {
  const auto& e = backward_entry(du::desc_of(y), axis);
  Tensor dx = du::make_tensor(e.pd.diff_src_desc());
  du::execute(e, {{DNNL_ARG_DST, du::memory_of(y)},
                  {DNNL_ARG_DIFF_DST, du::in_layout(dy, e.pd.diff_dst_desc()).memory},
                  {DNNL_ARG_DIFF_SRC, du::memory_of(dx)}});
  return dx;
}

}  // namespace tessera::cpu
