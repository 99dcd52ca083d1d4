#include "tessera/ops/pool.hpp"

#include <stdexcept>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {
namespace {

using dnnl::memory;

const char* kind_name(PoolKind k) {
  return k == PoolKind::max ? "max pooling" : "avg pooling";
}

// Stride and padding filled in with their defaults (stride = kernel, padding = 0).
struct Window {
  memory::dims kernel, stride, padding;
};

Window resolve_window(const PoolParams& p, const Shape& x_shape) {
  const std::string what = kind_name(p.kind);
  if (x_shape.size() < 3 || x_shape.size() > 5)
    throw std::invalid_argument(what + ": input " + to_string(x_shape) +
                                " must be [N,C,W], [N,C,H,W] or [N,C,D,H,W]");
  const size_t sd = x_shape.size() - 2;
  auto check_len = [&](const Shape& v, const char* name) {
    if (v.size() != sd)
      throw std::invalid_argument(what + ": " + name + " has " + std::to_string(v.size()) +
                                  " dims but input " + to_string(x_shape) + " has " +
                                  std::to_string(sd) + " spatial dims");
  };
  check_len(p.kernel, "kernel");
  Window w{p.kernel, p.stride.empty() ? p.kernel : p.stride,
           p.padding.empty() ? Shape(sd, 0) : p.padding};
  check_len(w.stride, "stride");
  check_len(w.padding, "padding");
  for (size_t i = 0; i < sd; ++i) {
    if (w.kernel[i] < 1 || w.stride[i] < 1 || w.padding[i] < 0)
      throw std::invalid_argument(what + ": kernel " + to_string(w.kernel) + ", stride " +
                                  to_string(w.stride) + ", padding " + to_string(w.padding) +
                                  " must be positive (padding >= 0)");
    // A window lying wholly in the padding would have no elements to average or take a max of.
    if (w.padding[i] >= w.kernel[i])
      throw std::invalid_argument(what + ": padding " + to_string(w.padding) +
                                  " must be smaller than kernel " + to_string(w.kernel));
    if (x_shape[i + 2] + 2 * w.padding[i] < w.kernel[i])
      throw std::invalid_argument(what + ": kernel " + to_string(w.kernel) +
                                  " is larger than the padded input " + to_string(x_shape));
  }
  return w;
}

Shape output_shape(const Shape& x_shape, const Window& w) {
  Shape y = x_shape;
  for (size_t i = 0; i < w.kernel.size(); ++i)
    y[i + 2] = (x_shape[i + 2] + 2 * w.padding[i] - w.kernel[i]) / w.stride[i] + 1;
  return y;
}

dnnl::algorithm algorithm_of(PoolKind k) {
  return k == PoolKind::max ? dnnl::algorithm::pooling_max
                            : dnnl::algorithm::pooling_avg_exclude_padding;
}

dnnl_util::Key window_key(const char* op, const memory::desc& x_md, const PoolParams& p,
                          const Window& w) {
  dnnl_util::Key key(op);
  key.add(x_md).add(int64_t(p.kind)).add(w.kernel).add(w.stride).add(w.padding);
  return key;
}

// The forward primitive for input layout `x_md`; backward re-fetches it as its hint.
const dnnl_util::Cached<dnnl::pooling_forward>& forward_entry(const memory::desc& x_md,
                                                              const PoolParams& p, const Window& w,
                                                              bool training) {
  dnnl_util::Key key = window_key("pool_fwd", x_md, p, w);
  key.add(int64_t(training));
  return dnnl_util::cached<dnnl::pooling_forward>(key, [&] {
    const auto prop =
        training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    const memory::desc y_md = dnnl_util::any_desc(output_shape(x_md.dims(), w));
    dnnl::pooling_forward::desc d(prop, algorithm_of(p.kind), x_md, y_md, w.stride, w.kernel,
                                  w.padding, w.padding);
    return dnnl::pooling_forward::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine());
  });
}

const dnnl_util::Cached<dnnl::pooling_backward>& backward_entry(const memory::desc& x_md,
                                                                const PoolParams& p,
                                                                const Window& w) {
  return dnnl_util::cached<dnnl::pooling_backward>(window_key("pool_bwd", x_md, p, w), [&] {
    const auto& fwd = forward_entry(x_md, p, w, /*training=*/true);
    // diff_dst takes the forward dst layout so the max-pooling workspace indexes it correctly.
    dnnl::pooling_backward::desc d(algorithm_of(p.kind), x_md, fwd.pd.dst_desc(), w.stride,
                                   w.kernel, w.padding, w.padding);
    return dnnl::pooling_backward::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine(),
                                                  fwd.pd);
  });
}

}  // namespace

PoolResult pool_forward(const Tensor& x, const PoolParams& p, bool training) {
  if (!x.defined())
    throw std::invalid_argument(std::string(kind_name(p.kind)) + ": undefined input");
  const Window w = resolve_window(p, x.shape());
  const auto& e = forward_entry(x.desc(), p, w, training);
  PoolResult r;
  r.y = Tensor(e.pd.dst_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, x.memory()}, {DNNL_ARG_DST, r.y.memory()}};
  const memory::desc ws_md = e.pd.workspace_desc();
  if (ws_md.get_size() > 0) {
    r.workspace = Tensor(ws_md);
    args.insert({DNNL_ARG_WORKSPACE, r.workspace.memory()});
  }
  dnnl_util::execute(e, std::move(args));
  return r;
}

Tensor pool_backward(const Tensor& dy, const Tensor& workspace, const memory::desc& x_md,
                     const PoolParams& p) {
  const std::string what = kind_name(p.kind);
  if (!dy.defined()) throw std::invalid_argument(what + " backward: undefined dy");
  const Window w = resolve_window(p, x_md.dims());
  const Shape y_shape = output_shape(x_md.dims(), w);
  if (dy.shape() != y_shape)
    throw std::invalid_argument(what + " backward: dy " + to_string(dy.shape()) +
                                " does not match the output " + to_string(y_shape) + " of input " +
                                to_string(x_md.dims()));
  const auto& e = backward_entry(x_md, p, w);
  const memory::desc ws_md = e.pd.workspace_desc();
  if (ws_md.get_size() > 0 && (!workspace.defined() || workspace.desc() != ws_md))
    throw std::invalid_argument(what +
                                " backward: needs the workspace of a training forward "
                                "pass on the same input layout");
  Tensor dy_in = dy.to_layout(e.pd.diff_dst_desc());
  Tensor dx(e.pd.diff_src_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, dy_in.memory()},
                                       {DNNL_ARG_DIFF_SRC, dx.memory()}};
  if (ws_md.get_size() > 0) args.insert({DNNL_ARG_WORKSPACE, workspace.memory()});
  dnnl_util::execute(e, std::move(args));
  return dx;
}

}  // namespace tessera
