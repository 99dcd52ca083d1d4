#pragma once
// Pointwise activations on oneDNN eltwise primitives; any layout in, same layout out.
#include <string>

#include "tessera/tensor/tensor.hpp"

namespace tessera {

enum class Activation { identity, relu, leaky_relu, elu, sigmoid, tanh };

Activation activation_from_string(const std::string& name);  // throws on unknown names
std::string to_string(Activation a);

// x -> y, same shape. alpha: negative slope (leaky_relu) or ELU's alpha.
Tensor activation_forward(const Tensor& x, Activation a, float alpha = 0.f);
// dy -> dx. Needs x for relu/leaky_relu/elu and y for sigmoid/tanh (pass both when kept).
Tensor activation_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Activation a,
                           float alpha = 0.f);

}  // namespace tessera
