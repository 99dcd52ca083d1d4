#pragma once
// Elementwise binary ops on oneDNN binary primitives; inputs of the same shape, any layouts.
#include "tessera/tensor/tensor.hpp"

namespace tessera {

Tensor add(const Tensor& a, const Tensor& b);       // a + b, layout of a
Tensor subtract(const Tensor& a, const Tensor& b);  // a - b, layout of a
Tensor multiply(const Tensor& a, const Tensor& b);  // a * b, layout of a
// a * s (any layout), through a oneDNN linear eltwise.
Tensor scale(const Tensor& a, float s);
// acc += t, for gradient accumulation; acc keeps its layout.
void add_inplace(Tensor& acc, const Tensor& t);
// avg = decay * avg + (1 - decay) * x in place, for running averages (K-FAC's factors); plain.
void running_average(Tensor& avg, const Tensor& x, float decay);

}  // namespace tessera
