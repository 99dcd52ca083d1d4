// The engine's side of the CUDA backend: on the first GPU tensor it checks that the GPU exists
// and loads the backend module (libtessera_cuda.so, built beside libtessera_engine.so), so that
// processes that never touch a GPU do not map cuBLAS, cuSOLVER and cuDNN.
#include <dlfcn.h>

#include <stdexcept>
#include <string>

#include "tessera/info.hpp"

namespace tessera {

class Backend;
Backend* cuda_backend(int index);

namespace {

using BackendOfDevice = Backend* (*)(int);

// libtessera_cuda.so in the folder the engine library was loaded from.
std::string module_path() {
  Dl_info self{};
  std::string folder;
  if (dladdr(reinterpret_cast<void*>(&cuda_backend), &self) != 0 && self.dli_fname) {
    folder = self.dli_fname;
    folder.erase(folder.rfind('/') + 1);  // npos + 1 == 0: no folder, the loader's search path
  }
  return folder + "libtessera_cuda.so";
}

BackendOfDevice load_backend_module() {
  const std::string path = module_path();
  void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!module)
    throw std::runtime_error(std::string("the CUDA backend could not be loaded: ") + dlerror());
  auto* backend_of = reinterpret_cast<BackendOfDevice>(dlsym(module, "tessera_cuda_backend"));
  if (!backend_of)
    throw std::runtime_error(path + " is not tessera's CUDA backend (no tessera_cuda_backend)");
  return backend_of;
}

}  // namespace

// The backend of GPU `index`; throws a line saying why when there is no such GPU.
Backend* cuda_backend(int index) {
  const int count = cuda_devices();
  if (index < 0 || index >= count)
    throw std::invalid_argument(
        "cuda:" + std::to_string(index) + ": " +
        (count == 0 ? std::string("this machine has no usable GPU") + " (tessera info says why)"
                    : "this machine has GPUs 0 to " + std::to_string(count - 1)) +
        "; use the CPU (device cpu)");
  static const BackendOfDevice backend_of = load_backend_module();  // once; retried if it threw
  return backend_of(index);
}

}  // namespace tessera
