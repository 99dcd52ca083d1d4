#include "tessera/tensor/device.hpp"

namespace tessera {

std::string to_string(Device d) {
  return d.is_host() ? "cpu" : "cuda:" + std::to_string(d.index);
}

}  // namespace tessera
