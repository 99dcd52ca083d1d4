#include <stdexcept>

#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {
namespace {

using dnnl::memory;
namespace du = dnnl_util;

dnnl::algorithm algorithm_of(Activation a, float alpha) {
  const bool dst = activation_backward_uses_output(a, alpha);
  switch (a) {
    case Activation::relu:
    case Activation::leaky_relu:
      return dst ? dnnl::algorithm::eltwise_relu_use_dst_for_bwd : dnnl::algorithm::eltwise_relu;
    case Activation::elu:
      return dst ? dnnl::algorithm::eltwise_elu_use_dst_for_bwd : dnnl::algorithm::eltwise_elu;
    case Activation::sigmoid:
      return dnnl::algorithm::eltwise_logistic_use_dst_for_bwd;
    case Activation::tanh:
      return dnnl::algorithm::eltwise_tanh_use_dst_for_bwd;
    case Activation::identity:
      break;
  }
  throw std::logic_error("activation " + to_string(a) + " has no oneDNN eltwise algorithm");
}

// Forward pd on layout `md`; backward re-fetches it as its hint.
const du::Cached<dnnl::eltwise_forward>& forward_entry(const memory::desc& md, Activation a,
                                                       float alpha) {
  du::Key key("activation_fwd");
  key.add(md).add(int64_t(a)).add(double(alpha));
  return du::cached<dnnl::eltwise_forward>(key, [&] {
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_training, algorithm_of(a, alpha), md,
                                  alpha);
    return dnnl::eltwise_forward::primitive_desc(d, du::default_attr(), du::engine());
  });
}

const du::Cached<dnnl::eltwise_backward>& backward_entry(const memory::desc& md, Activation a,
                                                         float alpha) {
  du::Key key("activation_bwd");
  key.add(md).add(int64_t(a)).add(double(alpha));
  return du::cached<dnnl::eltwise_backward>(key, [&] {
    dnnl::eltwise_backward::desc d(algorithm_of(a, alpha), md, md, alpha);
    return dnnl::eltwise_backward::primitive_desc(d, du::default_attr(), du::engine(),
                                                  forward_entry(md, a, alpha).pd);
  });
}

}  // namespace

Tensor CpuBackend::activation_forward(const Tensor& x, Activation a, float alpha) {
  const auto& e = forward_entry(du::desc_of(x), a, alpha);
  Tensor y = du::make_tensor(e.pd.dst_desc());
  du::execute(e, {{DNNL_ARG_SRC, du::memory_of(x)}, {DNNL_ARG_DST, du::memory_of(y)}});
  return y;
}

Tensor CpuBackend::activation_backward(const Tensor& from, bool from_output, const Tensor& dy,
                                       Activation a, float alpha) {
  const auto& e = backward_entry(du::desc_of(from), a, alpha);
  Tensor dx = du::make_tensor(e.pd.diff_src_desc());
  du::execute(e, {{from_output ? DNNL_ARG_DST : DNNL_ARG_SRC, du::memory_of(from)},
                  {DNNL_ARG_DIFF_DST, du::in_layout(dy, e.pd.diff_dst_desc()).memory},
                  {DNNL_ARG_DIFF_SRC, du::memory_of(dx)}});
  return dx;
}

}  // namespace tessera::cpu
