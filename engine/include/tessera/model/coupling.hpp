#pragma once
// The reversible coupling block the U-Nets and benchmarks build from.
#include <memory>

#include "tessera/ops/activation.hpp"
#include "tessera/rev/reversible.hpp"

namespace tessera {

struct CouplingOptions {
  int dims = 2;
  int64_t channels = 16;  // of the block's input and output; F and G see half
  bool batch_norm = true;
  Activation activation = Activation::relu;
  bool store_activations = false;
};

// A coupling block whose F and G are [conv 3 -> batch norm -> activation -> conv 3] on C/2
// channels (padding 1: the spatial size is kept).
std::unique_ptr<AdditiveCoupling> make_coupling(const CouplingOptions& o);

}  // namespace tessera
