// Max and average pooling on oneDNN; the forward primitive is keyed by the input's layout so
// that backward, which must agree with it on the workspace, can find it again.
#include <stdexcept>

#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {
namespace {

using dnnl::memory;
namespace du = dnnl_util;

std::string kind_name(PoolKind k) {
  return k == PoolKind::max ? "max pooling" : "avg pooling";
}

dnnl::algorithm algorithm_of(PoolKind k) {
  return k == PoolKind::max ? dnnl::algorithm::pooling_max
                            : dnnl::algorithm::pooling_avg_exclude_padding;
}

// `p` arrives resolved: the public op has filled in stride and padding.
du::Key window_key(const char* op, const memory::desc& x_md, const PoolParams& p) {
  du::Key key(op);
  key.add(x_md).add(int64_t(p.kind)).add(p.kernel).add(p.stride).add(p.padding);
  return key;
}

// The forward primitive for input layout `x_md`; backward re-fetches it as its hint.
const du::Cached<dnnl::pooling_forward>& forward_entry(const memory::desc& x_md,
                                                       const PoolParams& p, bool training) {
  du::Key key = window_key("pool_fwd", x_md, p);
  key.add(int64_t(training));
  return du::cached<dnnl::pooling_forward>(key, [&] {
    const auto prop =
        training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    const memory::desc y_md = du::any_desc(pool_output_shape(x_md.dims(), p));
    dnnl::pooling_forward::desc d(prop, algorithm_of(p.kind), x_md, y_md, p.stride, p.kernel,
                                  p.padding, p.padding);
    return dnnl::pooling_forward::primitive_desc(d, du::default_attr(), du::engine());
  });
}

const du::Cached<dnnl::pooling_backward>& backward_entry(const memory::desc& x_md,
                                                         const PoolParams& p) {
  return du::cached<dnnl::pooling_backward>(window_key("pool_bwd", x_md, p), [&] {
    const auto& fwd = forward_entry(x_md, p, /*training=*/true);
    // diff_dst takes the forward dst layout so the max-pooling workspace indexes it correctly.
    dnnl::pooling_backward::desc d(algorithm_of(p.kind), x_md, fwd.pd.dst_desc(), p.stride,
                                   p.kernel, p.padding, p.padding);
    return dnnl::pooling_backward::primitive_desc(d, du::default_attr(), du::engine(), fwd.pd);
  });
}

}  // namespace

PoolResult CpuBackend::pool_forward(const Tensor& x, const PoolParams& p, bool training) {
  const auto& e = forward_entry(du::desc_of(x), p, training);
  PoolResult r;
  r.y = du::make_tensor(e.pd.dst_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, du::memory_of(x)},
                                       {DNNL_ARG_DST, du::memory_of(r.y)}};
  const memory::desc ws_md = e.pd.workspace_desc();
  if (ws_md.get_size() > 0) {
    r.workspace = du::make_tensor(ws_md);
    args.insert({DNNL_ARG_WORKSPACE, du::memory_of(r.workspace)});
  }
  du::execute(e, std::move(args));
  return r;
}

Tensor CpuBackend::pool_backward(const Tensor& dy, const Tensor& workspace, const Layout& x_layout,
                                 const PoolParams& p) {
  const std::string what = kind_name(p.kind);
  const auto& e = backward_entry(du::desc_of(x_layout), p);
  const memory::desc ws_md = e.pd.workspace_desc();
  if (ws_md.get_size() > 0 && (!workspace.defined() || du::desc_of(workspace) != ws_md))
    throw std::invalid_argument(what +
                                " backward: needs the workspace of a training forward "
                                "pass on the same input layout");
  const du::Operand dy_in = du::in_layout(dy, e.pd.diff_dst_desc());
  Tensor dx = du::make_tensor(e.pd.diff_src_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, dy_in.memory},
                                       {DNNL_ARG_DIFF_SRC, du::memory_of(dx)}};
  if (ws_md.get_size() > 0) args.insert({DNNL_ARG_WORKSPACE, du::memory_of(workspace)});
  du::execute(e, std::move(args));
  return dx;
}

}  // namespace tessera::cpu
