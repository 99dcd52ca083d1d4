#include "tessera/ops/activation.hpp"

#include <stdexcept>
#include <utility>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {
namespace {

using dnnl::memory;

constexpr std::pair<Activation, const char*> kNames[] = {
    {Activation::identity, "identity"},     {Activation::relu, "relu"},
    {Activation::leaky_relu, "leaky_relu"}, {Activation::elu, "elu"},
    {Activation::sigmoid, "sigmoid"},       {Activation::tanh, "tanh"}};

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

// Plain relu ignores alpha, so a stray value cannot turn it into a leaky relu.
float alpha_of(Activation a, float alpha) {
  return a == Activation::leaky_relu || a == Activation::elu ? alpha : 0.f;
}

// Forward pd on layout `md`; backward re-fetches it as its hint.
const dnnl_util::Cached<dnnl::eltwise_forward>& forward_entry(const memory::desc& md, Activation a,
                                                              float alpha) {
  dnnl_util::Key key("activation_fwd");
  key.add(md).add(int64_t(a)).add(double(alpha));
  return dnnl_util::cached<dnnl::eltwise_forward>(key, [&] {
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_training, algorithm_of(a, alpha), md,
                                  alpha);
    return dnnl::eltwise_forward::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine());
  });
}

const dnnl_util::Cached<dnnl::eltwise_backward>& backward_entry(const memory::desc& md,
                                                                Activation a, float alpha) {
  dnnl_util::Key key("activation_bwd");
  key.add(md).add(int64_t(a)).add(double(alpha));
  return dnnl_util::cached<dnnl::eltwise_backward>(key, [&] {
    dnnl::eltwise_backward::desc d(algorithm_of(a, alpha), md, md, alpha);
    return dnnl::eltwise_backward::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine(),
                                                  forward_entry(md, a, alpha).pd);
  });
}

}  // namespace

// Differentiating from the output lets the input be freed as soon as the forward pass has
// used it: for ReLU after batch norm, that is one activation tensor less per layer.
// A negative slope would make the output ambiguous about the input's sign.
bool activation_backward_uses_output(Activation a, float alpha) {
  switch (a) {
    case Activation::sigmoid:
    case Activation::tanh:
    case Activation::relu:
      return true;
    case Activation::leaky_relu:
    case Activation::elu:
      return alpha >= 0.f;
    case Activation::identity:
      break;
  }
  return false;
}

Activation activation_from_string(const std::string& name) {
  std::string known;
  for (const auto& [a, n] : kNames) {
    if (name == n) return a;
    known += std::string(known.empty() ? "" : ", ") + n;
  }
  throw std::invalid_argument("unknown activation '" + name + "' (known: " + known + ")");
}

std::string to_string(Activation a) {
  for (const auto& [k, n] : kNames)
    if (k == a) return n;
  return "activation#" + std::to_string(int(a));
}

Tensor activation_forward(const Tensor& x, Activation a, float alpha) {
  if (!x.defined()) throw std::invalid_argument(to_string(a) + ": undefined input");
  if (a == Activation::identity) return x.clone();
  alpha = alpha_of(a, alpha);
  const auto& e = forward_entry(x.desc(), a, alpha);
  Tensor y(e.pd.dst_desc());
  dnnl_util::execute(e, {{DNNL_ARG_SRC, x.memory()}, {DNNL_ARG_DST, y.memory()}});
  return y;
}

Tensor activation_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Activation a,
                           float alpha) {
  const std::string what = to_string(a) + " backward";
  if (!dy.defined()) throw std::invalid_argument(what + ": undefined dy");
  if (a == Activation::identity) return dy.clone();
  alpha = alpha_of(a, alpha);
  const bool use_y = activation_backward_uses_output(a, alpha);
  const Tensor& from = use_y ? y : x;
  if (!from.defined())
    throw std::invalid_argument(what + ": needs the forward " + (use_y ? "output y" : "input x"));
  if (from.shape() != dy.shape())
    throw std::invalid_argument(what + ": dy " + to_string(dy.shape()) + " does not match " +
                                (use_y ? "y " : "x ") + to_string(from.shape()));
  const auto& e = backward_entry(from.desc(), a, alpha);
  Tensor dx(e.pd.diff_src_desc());
  dnnl_util::execute(e, {{use_y ? DNNL_ARG_DST : DNNL_ARG_SRC, from.memory()},
                         {DNNL_ARG_DIFF_DST, dy.to_layout(e.pd.diff_dst_desc()).memory()},
                         {DNNL_ARG_DIFF_SRC, dx.memory()}});
  return dx;
}

}  // namespace tessera
