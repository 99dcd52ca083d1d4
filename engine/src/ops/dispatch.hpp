#pragma once
// What every public op does before the work: find the backend of its operands' device. Operands
// on two devices are an error naming both, never a silent copy.
//
//   Tensor add(const Tensor& a, const Tensor& b) {
//     check_same_shape("add", a, b);
//     return backend_of("add", a, b).add(a, b);
//   }
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "backend.hpp"

namespace tessera {

// The device of the defined tensors among `operands` (the CPU when none is defined); throws
// std::invalid_argument naming `op` and the two devices when they differ.
Device device_of(const std::string& op,
                 std::initializer_list<std::reference_wrapper<const Tensor>> operands);
Device device_of(const std::string& op, const std::vector<Tensor>& operands);

template <typename... T>
Backend& backend_of(const std::string& op, const T&... operands) {
  return backend_for(device_of(op, {std::cref(operands)...}));
}

inline Backend& backend_of(const std::string& op, const std::vector<Tensor>& operands) {
  return backend_for(device_of(op, operands));
}

// Throws "<op>: undefined <what>" for an undefined tensor.
void require_defined(const std::string& op, const Tensor& t, const char* what = "input");

}  // namespace tessera
