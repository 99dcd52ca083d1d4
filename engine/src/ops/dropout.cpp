#include "tessera/ops/dropout.hpp"

#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {

DropoutResult dropout_forward(const Tensor& x, float p, uint64_t seed) {
  require_defined("dropout", x);
  if (!(p >= 0.f && p < 1.f))
    throw std::invalid_argument("dropout: probability " + std::to_string(p) + " must be in [0, 1)");
  return backend_of("dropout", x).dropout_forward(x, p, seed);
}

Tensor dropout_backward(const Tensor& dy, const Tensor& mask) {
  if (!dy.defined() || !mask.defined())
    throw std::invalid_argument("dropout backward: undefined dy or mask");
  if (dy.shape() != mask.shape())
    throw std::invalid_argument("dropout backward: dy " + to_string(dy.shape()) + " and mask " +
                                to_string(mask.shape()) + " differ in shape");
  return backend_of("dropout backward", dy, mask).dropout_backward(dy, mask);
}

}  // namespace tessera
