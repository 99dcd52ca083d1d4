#pragma once
// Small helpers shared by the layer implementations.
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/nn/param.hpp"

namespace tessera::detail {

inline Param make_param(const Shape& shape, bool decay) {
  return Param{"", Tensor::zeros(shape), Tensor(), decay};
}

// Names `p` under `prefix` and lists it; undefined (absent) parameters are skipped.
inline void add_param(const std::string& prefix, const char* name, Param& p,
                      std::vector<Param*>& out) {
  if (!p.value.defined()) return;
  p.name = prefix + name;
  out.push_back(&p);
}

inline void require_saved(bool saved, const std::string& type) {
  if (!saved) throw std::logic_error(type + ": backward without a train-mode forward before it");
}

}  // namespace tessera::detail
