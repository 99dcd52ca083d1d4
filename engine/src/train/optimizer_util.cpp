#include "optimizer_util.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include "tessera/ops/update.hpp"

namespace tessera {

void sgd_step(Param& p, const Tensor& grad, float lr, const SgdOptions& o, Tensor* velocity) {
  Tensor none;
  sgd_update(p.value, grad, velocity ? *velocity : none,
             {.lr = lr,
              .momentum = o.momentum,
              .weight_decay = p.decay ? o.weight_decay : 0.f,
              .nesterov = o.nesterov});
}

double json_number(float v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  *res.ptr = '\0';
  return std::strtod(buf, nullptr);
}

Tensor plain_grad(const Param& p) {
  if (!p.grad.defined()) return {};
  if (p.grad.shape() != p.value.shape())
    throw std::invalid_argument("parameter '" + p.name + "' has gradient shape " +
                                to_string(p.grad.shape()) + " but value shape " +
                                to_string(p.value.shape()));
  return p.grad.to_plain();
}

void check_range(const char* what, double v, double lo, double hi, bool hi_open) {
  if (!(v >= lo && (hi_open ? v < hi : v <= hi)))
    throw std::invalid_argument(std::string("optimizer setting ") + what + " = " +
                                std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + (hi_open ? ")" : "]"));
}

}  // namespace tessera
