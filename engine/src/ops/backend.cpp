#include "backend.hpp"

#include <stdexcept>

#include "../cpu/backend.hpp"

namespace tessera {

// Defined by the CUDA backend (src/cuda), or as nullptr in builds without one.
Backend* cuda_backend(int index);

Backend& backend_for(Device device) {
  if (device.is_host()) return cpu::backend();
  if (Backend* b = cuda_backend(device.index)) return *b;
  throw std::invalid_argument("no compute backend for " + to_string(device) +
                              " in this build of tessera (CPU only)");
}

}  // namespace tessera
