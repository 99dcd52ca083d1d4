// Built when no CUDA toolkit with cuDNN was found: the engine runs on the CPU only.
#include "tessera/info.hpp"

namespace tessera {

class Backend;

Backend* cuda_backend(int) {
  return nullptr;
}

bool cuda_built() {
  return false;
}

int cuda_devices() {
  return 0;
}

std::string cuda_summary() {
  return "not built (configure with a CUDA toolkit and cuDNN)";
}

}  // namespace tessera
