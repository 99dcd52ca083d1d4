#pragma once
// Softmax along one axis (channels by default) on oneDNN.
#include "tessera/tensor/tensor.hpp"

namespace tessera {

Tensor softmax_forward(const Tensor& x, int axis = 1);
// y is the forward output
Tensor softmax_backward(const Tensor& y, const Tensor& dy, int axis = 1);

}  // namespace tessera
