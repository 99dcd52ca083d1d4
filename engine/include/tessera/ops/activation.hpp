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
// Whether activation_backward needs the forward output y (true) or the input x (false).
bool activation_backward_uses_output(Activation a, float alpha = 0.f);
// dy -> dx, from y or x as activation_backward_uses_output says (the other may be undefined).
Tensor activation_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Activation a,
                           float alpha = 0.f);

}  // namespace tessera
