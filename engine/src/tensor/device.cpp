#include "tessera/tensor/device.hpp"

#include <stdexcept>

#include "../ops/backend.hpp"
#include "tessera/info.hpp"

namespace tessera {

std::string to_string(Device d) {
  return d.is_host() ? "cpu" : "cuda:" + std::to_string(d.index);
}

Device default_device() {
  return cuda_devices() > 0 ? Device::cuda(0) : Device::cpu();
}

Device parse_device(const std::string& name) {
  if (name == "auto") return default_device();
  if (name == "cpu") return Device::cpu();
  int index = -1;
  if (name == "cuda") {
    index = 0;
  } else if (name.rfind("cuda:", 0) == 0 && name.size() > 5 && name.size() < 9 &&
             name.find_first_not_of("0123456789", 5) == std::string::npos) {
    index = std::stoi(name.substr(5));
  } else {
    throw std::invalid_argument("device '" + name + "': use cpu, cuda, cuda:N or auto");
  }
  const Device d = Device::cuda(index);
  backend_for(d);  // says in one line why this machine cannot use it
  return d;
}

void synchronize(Device d) {
  backend_for(d).synchronize();
}

}  // namespace tessera
