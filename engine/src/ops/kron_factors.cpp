#include "tessera/ops/kron_factors.hpp"

#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {

Tensor patch_covariance(const Tensor& x, const Shape& kernel, const ConvParams& p, bool bias) {
  require_defined("patch_covariance", x);
  if (x.ndim() != int(kernel.size()) + 2)
    throw std::invalid_argument("patch_covariance: input " + to_string(x.shape()) + " for a " +
                                std::to_string(kernel.size()) + "-d kernel");
  return backend_of("patch_covariance", x).patch_covariance(x, kernel, p, bias);
}

Tensor output_gradient_covariance(const Tensor& dy) {
  require_defined("output_gradient_covariance", dy, "dy");
  if (dy.ndim() < 2) throw std::invalid_argument("output_gradient_covariance: dy is not [N,C,...]");
  return backend_of("output_gradient_covariance", dy).output_gradient_covariance(dy);
}

}  // namespace tessera
