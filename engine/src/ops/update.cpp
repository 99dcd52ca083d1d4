#include "tessera/ops/update.hpp"

#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {
namespace {

void check_like(const char* op, const Tensor& w, const Tensor& t, const char* what) {
  if (!t.defined() || !t.is_plain() || t.shape() != w.shape())
    throw std::invalid_argument(std::string(op) + ": " + what + " must be plain with the shape " +
                                to_string(w.shape()) + " of the parameter");
}

}  // namespace

void sgd_update(Tensor& w, const Tensor& grad, Tensor& velocity, const SgdStep& s) {
  require_defined("sgd_update", w, "parameter");
  check_like("sgd_update", w, w, "the parameter");
  check_like("sgd_update", w, grad, "the gradient");
  if (velocity.defined()) check_like("sgd_update", w, velocity, "the velocity");
  backend_of("sgd_update", w, grad, velocity).sgd_update(w, grad, velocity, s);
}

void adam_update(Tensor& w, const Tensor& grad, Tensor& m, Tensor& v, const AdamStep& s) {
  require_defined("adam_update", w, "parameter");
  check_like("adam_update", w, w, "the parameter");
  check_like("adam_update", w, grad, "the gradient");
  check_like("adam_update", w, m, "the first moment");
  check_like("adam_update", w, v, "the second moment");
  backend_of("adam_update", w, grad, m, v).adam_update(w, grad, m, v, s);
}

}  // namespace tessera
