#include "dispatch.hpp"

#include <optional>
#include <stdexcept>

namespace tessera {

namespace {

void join(const std::string& op, std::optional<Device>& seen, const Tensor& t) {
  if (!t.defined()) return;
  if (!seen) {
    seen = t.device();
  } else if (*seen != t.device()) {
    throw std::invalid_argument(op + ": operands on different devices, " + to_string(*seen) +
                                " and " + to_string(t.device()) +
                                "; move them to one with Tensor::to");
  }
}

}  // namespace

Device device_of(const std::string& op,
                 std::initializer_list<std::reference_wrapper<const Tensor>> operands) {
  std::optional<Device> seen;
  for (const Tensor& t : operands) join(op, seen, t);
  return seen.value_or(Device::cpu());
}

Device device_of(const std::string& op, const std::vector<Tensor>& operands) {
  std::optional<Device> seen;
  for (const Tensor& t : operands) join(op, seen, t);
  return seen.value_or(Device::cpu());
}

void require_defined(const std::string& op, const Tensor& t, const char* what) {
  if (!t.defined()) throw std::invalid_argument(op + ": undefined " + what);
}

}  // namespace tessera
