#include "tessera/model/coupling.hpp"

#include <stdexcept>

#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"

namespace tessera {

namespace {
std::unique_ptr<Module> coupling_function(const CouplingOptions& o) {
  const int64_t h = o.channels / 2;
  const Shape k(static_cast<size_t>(o.dims), 3), pad(static_cast<size_t>(o.dims), 1);
  auto s = std::make_unique<Sequential>();
  s->add(std::make_unique<Conv>(
      ConvOptions{.in_channels = h, .out_channels = h, .kernel = k, .padding = pad}));
  if (o.batch_norm)
    for (auto& m : batch_norm_then(h, o.activation)) s->add(std::move(m));
  else
    s->add(block_activation(o.activation));
  s->add(std::make_unique<Conv>(
      ConvOptions{.in_channels = h, .out_channels = h, .kernel = k, .padding = pad}));
  return s;
}
}  // namespace

std::unique_ptr<AdditiveCoupling> make_coupling(const CouplingOptions& o) {
  if (o.dims < 1 || o.dims > 3) throw std::invalid_argument("coupling: dims must be 1, 2 or 3");
  if (o.channels < 2 || o.channels % 2)
    throw std::invalid_argument("coupling: channels must be even and >= 2");
  return std::make_unique<AdditiveCoupling>(coupling_function(o), coupling_function(o),
                                            o.store_activations);
}

}  // namespace tessera
