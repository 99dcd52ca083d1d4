#include "tessera/ops/space_to_depth.hpp"

#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {

Tensor space_to_depth(const Tensor& x, int64_t factor) {
  require_defined("space_to_depth", x);
  const Shape& big = x.shape();
  if (big.size() < 3 || big.size() > 5)
    throw std::invalid_argument("space_to_depth: input must be [N,C,W], [N,C,H,W] or [N,C,D,H,W]");
  if (factor < 1) throw std::invalid_argument("space_to_depth: factor must be >= 1");
  for (size_t i = 2; i < big.size(); ++i)
    if (big[i] % factor != 0)
      throw std::invalid_argument("space_to_depth: spatial size " + to_string(big) +
                                  " is not a multiple of the factor " + std::to_string(factor));
  return backend_of("space_to_depth", x).space_to_depth(x, factor);
}

Tensor depth_to_space(const Tensor& y, int64_t factor) {
  require_defined("depth_to_space", y);
  if (factor < 1) throw std::invalid_argument("depth_to_space: factor must be >= 1");
  int64_t block = 1;
  for (int i = 2; i < y.ndim(); ++i) block *= factor;
  if (y.ndim() < 3 || y.ndim() > 5 || y.dim(1) % block != 0)
    throw std::invalid_argument("depth_to_space: channels of " + to_string(y.shape()) +
                                " are not a multiple of " + std::to_string(block));
  return backend_of("depth_to_space", y).depth_to_space(y, factor);
}

}  // namespace tessera
