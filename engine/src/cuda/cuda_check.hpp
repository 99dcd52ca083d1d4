#pragma once
// One-line errors from the CUDA runtime, cuDNN and cuBLAS: what was being done, on which device,
// and the library's own words.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <string>

namespace tessera::cuda {

void check(cudaError_t status, const std::string& what);
void check(cudnnStatus_t status, const std::string& what);
void check(cublasStatus_t status, const std::string& what);

// Makes `index` the calling thread's current GPU (the runtime's state is per thread).
void use_device(int index);

}  // namespace tessera::cuda
