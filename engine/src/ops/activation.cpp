#include "tessera/ops/activation.hpp"

#include <stdexcept>
#include <utility>

#include "dispatch.hpp"

namespace tessera {
namespace {

constexpr std::pair<Activation, const char*> kNames[] = {
    {Activation::identity, "identity"},     {Activation::relu, "relu"},
    {Activation::leaky_relu, "leaky_relu"}, {Activation::elu, "elu"},
    {Activation::sigmoid, "sigmoid"},       {Activation::tanh, "tanh"}};

// Plain relu ignores alpha, so a stray value cannot turn it into a leaky relu.
float alpha_of(Activation a, float alpha) {
  return a == Activation::leaky_relu || a == Activation::elu ? alpha : 0.f;
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
  require_defined(to_string(a), x);
  if (a == Activation::identity) return x.clone();
  return backend_of(to_string(a), x).activation_forward(x, a, alpha_of(a, alpha));
}

Tensor activation_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Activation a,
                           float alpha) {
  const std::string what = to_string(a) + " backward";
  require_defined(what, dy, "dy");
  if (a == Activation::identity) return dy.clone();
  alpha = alpha_of(a, alpha);
  const bool use_y = activation_backward_uses_output(a, alpha);
  const Tensor& from = use_y ? y : x;
  if (!from.defined())
    throw std::invalid_argument(what + ": needs the forward " + (use_y ? "output y" : "input x"));
  if (from.shape() != dy.shape())
    throw std::invalid_argument(what + ": dy " + to_string(dy.shape()) + " does not match " +
                                (use_y ? "y " : "x ") + to_string(from.shape()));
  return backend_of(what, from, dy).activation_backward(from, use_y, dy, a, alpha);
}

}  // namespace tessera
