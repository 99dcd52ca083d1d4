// The CUDA backend's entry point. The cuDNN / cuBLAS ops that implement Backend (one file per op
// family, mirroring src/cpu) are not written yet, so GPU tensors have no backend: an op on one
// says so instead of running.
namespace tessera {

class Backend;

Backend* cuda_backend(int) {
  return nullptr;
}

}  // namespace tessera
