#pragma once
// Inverted dropout: kept elements are scaled by 1/(1-p) so inference needs no change.
#include <cstdint>

#include "tessera/tensor/tensor.hpp"

namespace tessera {

struct DropoutResult {
  Tensor y;
  Tensor mask;  // 0 or 1/(1-p) per element, plain
};

// The mask depends only on (seed, element index), so a run is reproducible for any thread count.
DropoutResult dropout_forward(const Tensor& x, float p, uint64_t seed);
Tensor dropout_backward(const Tensor& dy, const Tensor& mask);

}  // namespace tessera
