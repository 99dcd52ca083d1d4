#include "tessera/ops/elementwise.hpp"

#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {
namespace {

void check_pair(const char* what, const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined())
    throw std::invalid_argument(std::string(what) + ": undefined operand");
  if (a.shape() != b.shape())
    throw std::invalid_argument(std::string(what) + ": shapes " + to_string(a.shape()) + " and " +
                                to_string(b.shape()) + " differ");
}

// The result takes a's layout: the optimised kernels want matching layouts.
Tensor binary_op(const char* what, Backend::Binary op, const Tensor& a, const Tensor& b) {
  check_pair(what, a, b);
  Backend& backend = backend_of(what, a, b);
  Tensor out(a.layout(), a.device());
  backend.binary(op, a, b, out);
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  return binary_op("add", Backend::Binary::add, a, b);
}

Tensor subtract(const Tensor& a, const Tensor& b) {
  return binary_op("subtract", Backend::Binary::subtract, a, b);
}

Tensor multiply(const Tensor& a, const Tensor& b) {
  return binary_op("multiply", Backend::Binary::multiply, a, b);
}

Tensor scale(const Tensor& a, float s) {
  require_defined("scale", a);
  return backend_of("scale", a).scale(a, s);
}

void running_average(Tensor& avg, const Tensor& x, float decay) {
  check_pair("running_average", avg, x);
  if (!avg.is_plain() || !x.is_plain())
    throw std::invalid_argument("running_average: operands must be plain");
  backend_of("running_average", avg, x).running_average(avg, x, decay);
}

void add_inplace(Tensor& acc, const Tensor& t) {
  check_pair("add_inplace", acc, t);
  backend_of("add_inplace", acc, t).binary(Backend::Binary::add, acc, t, acc);
}

}  // namespace tessera
