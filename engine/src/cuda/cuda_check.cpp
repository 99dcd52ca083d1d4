#include "cuda_check.hpp"

#include <stdexcept>

namespace tessera::cuda {

void check(cudaError_t status, const std::string& what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // cleared, so the next kernel launch's check does not report this one
  throw std::runtime_error(what + ": " + cudaGetErrorString(status) + " (CUDA)");
}

void check(cudnnStatus_t status, const std::string& what) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(what + ": " + cudnnGetErrorString(status) + " (cuDNN)");
}

void check(cublasStatus_t status, const std::string& what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(what + ": " + cublasGetStatusString(status) + " (cuBLAS)");
}

void use_device(int index) {
  check(cudaSetDevice(index), "selecting cuda:" + std::to_string(index));
}

}  // namespace tessera::cuda
