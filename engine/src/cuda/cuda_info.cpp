// Device and library queries for the CUDA backend. A machine without a GPU still runs the CPU
// engine: the summary says so instead of failing.
#include <cuda_runtime_api.h>
#include <cudnn.h>
#ifdef TESSERA_HAVE_NCCL
#include <nccl.h>
#endif

#include <string>

#include "tessera/info.hpp"

namespace tessera {

bool cuda_built() {
  return true;
}

// Counted once: the answer does not change while the process runs, and every op on a GPU tensor
// asks (backend_for).
int cuda_devices() {
  static const int count = [] {
    int n = 0;
    return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
  }();
  return count;
}

std::string cuda_summary() {
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  std::string s = "built: CUDA runtime " + std::to_string(runtime / 1000) + "." +
                  std::to_string(runtime % 1000 / 10) + ", cuDNN " +
                  std::to_string(cudnnGetVersion());
#ifdef TESSERA_HAVE_NCCL
  int nccl = 0;
  ncclGetVersion(&nccl);
  s += ", NCCL " + std::to_string(nccl);
#endif
  int devices = 0;
  const cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess) return s + "; no usable GPU (" + cudaGetErrorString(err) + ")";
  s += "; " + std::to_string(devices) + " GPU(s)";
  for (int i = 0; i < devices; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) s += std::string(", ") + prop.name;
  }
  return s;
}

}  // namespace tessera
