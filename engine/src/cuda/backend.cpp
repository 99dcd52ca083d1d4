// The CUDA backend's entry point (one backend per GPU, made on first use) and what it does to
// whole tensors: allocate, copy between host and device, fill, zero.
#include "backend.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <string>

#include "cuda_check.hpp"

namespace tessera {

namespace cuda {

CudaBackend::CudaBackend(int device) : device_(device), cache_(device) {}

CudaBackend::~CudaBackend() {
  // At exit the driver may already have torn the context down; it frees everything anyway.
  if (cudnn_) cudnnDestroy(cudnn_);
  if (cublas_) cublasDestroy(cublas_);
}

void* CudaBackend::allocate(std::size_t bytes) {
  return cache_.take(bytes);
}

void CudaBackend::deallocate(void* data, std::size_t bytes) {
  cache_.give(data, bytes);
}

void CudaBackend::release_cached_memory() {
  cache_.release();
}

cudnnHandle_t CudaBackend::cudnn() {
  std::call_once(cudnn_once_, [this] {
    use_device(device_);
    check(cudnnCreate(&cudnn_), "creating the cuDNN handle of cuda:" + std::to_string(device_));
  });
  return cudnn_;
}

cublasHandle_t CudaBackend::cublas() {
  std::call_once(cublas_once_, [this] {
    use_device(device_);
    check(cublasCreate(&cublas_), "creating the cuBLAS handle of cuda:" + std::to_string(device_));
  });
  return cublas_;
}

// Same layouts: one cudaMemcpy, either way between host and device or within the device.
// Different ones (a blocked host tensor): the host reorders through a staging tensor in the
// other side's layout, since the GPU keeps plain layouts only.
void CudaBackend::copy(const Tensor& src, const Tensor& dst) {
  use_device(device_);
  const auto transfer = [](const Tensor& from, const Tensor& to) {
    check(cudaMemcpy(to.raw(), from.raw(), to.bytes(), cudaMemcpyDefault),
          "copying " + std::to_string(to.bytes()) + " bytes from " + to_string(from.device()) +
              " to " + to_string(to.device()));
  };
  if (src.layout() == dst.layout()) return transfer(src, dst);
  Backend& host = backend_for(Device::cpu());
  if (src.device().is_host()) {
    const Tensor staged(dst.layout());
    host.copy(src, staged);
    return transfer(staged, dst);
  }
  const Tensor staged(src.layout());
  transfer(src, staged);
  if (dst.device().is_host()) return host.copy(staged, dst);
  transfer(staged.to_layout(dst.layout()), dst);
}

// cudnnSetTensor over the buffer as rows of at most 2^30 floats (cuDNN's dims are int).
void CudaBackend::fill(const Tensor& t, float value) {
  use_device(device_);
  constexpr int64_t kRow = int64_t{1} << 30;
  cudnnTensorDescriptor_t desc = nullptr;
  check(cudnnCreateTensorDescriptor(&desc), "fill");
  const std::unique_ptr<cudnnTensorStruct, decltype(&cudnnDestroyTensorDescriptor)> owned(
      desc, cudnnDestroyTensorDescriptor);
  float* base = floats(t);
  for (int64_t start = 0; start < t.numel(); start += kRow) {
    const int n = static_cast<int>(std::min(kRow, t.numel() - start));
    check(cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, 1, 1, n),
          "fill");
    check(cudnnSetTensor(cudnn(), desc, base + start, &value), "fill on " + to_string(t.device()));
  }
}

void CudaBackend::synchronize() {
  use_device(device_);
  check(cudaDeviceSynchronize(), "waiting for cuda:" + std::to_string(device_));
}

void CudaBackend::zero(const Tensor& t) {
  use_device(device_);
  check(cudaMemset(t.raw(), 0, t.bytes()),
        "zeroing " + std::to_string(t.bytes()) + " bytes on " + to_string(t.device()));
}

}  // namespace cuda

// The module's entry point (plugin.cpp loads it): the backend of GPU `index`, made once; the
// engine has checked that the GPU exists.
extern "C" Backend* tessera_cuda_backend(int index) {
  constexpr int kMaxGpus = 16;
  static std::array<std::unique_ptr<cuda::CudaBackend>, kMaxGpus> backends;
  static std::mutex mutex;
  if (index < 0 || index >= kMaxGpus)
    throw std::invalid_argument("cuda:" + std::to_string(index) + ": tessera counts GPUs 0 to " +
                                std::to_string(kMaxGpus - 1));
  std::lock_guard<std::mutex> lock(mutex);
  auto& b = backends[static_cast<std::size_t>(index)];
  if (!b) b = std::make_unique<cuda::CudaBackend>(index);
  return b.get();
}

}  // namespace tessera
