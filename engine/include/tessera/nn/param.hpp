#pragma once
#include <string>

#include "tessera/tensor/tensor.hpp"

namespace tessera {

// A trainable parameter: plain-layout value and the gradient the last backward pass wrote.
struct Param {
  std::string name{};  // hierarchical, e.g. "nodes.3.weight"; unique within a model
  Tensor value{};
  Tensor grad{};      // same shape as value; overwritten (not accumulated) by each backward
  bool decay = true;  // weight decay applies (false for biases and norm scales/shifts)
};

}  // namespace tessera
