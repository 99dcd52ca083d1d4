#pragma once
// The CUDA backend: one per GPU. Tensors on a GPU are plain (N,C,H,W[,D]) float32; memory comes
// from the device's caching allocator. Today it holds, copies, fills and zeroes tensors (so
// Tensor::to moves them between devices); the network ops are still UnwrittenOps.
#include <cudnn.h>

#include <mutex>

#include "allocator.hpp"
#include "unwritten_ops.hpp"

namespace tessera::cuda {

class CudaBackend final : public UnwrittenOps {
 public:
  explicit CudaBackend(int device);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  void* allocate(std::size_t bytes) override;
  void deallocate(void* data, std::size_t bytes) override;
  void release_cached_memory() override;
  void copy(const Tensor& src, const Tensor& dst) override;
  void fill(const Tensor& t, float value) override;
  void zero(const Tensor& t) override;

 private:
  cudnnHandle_t cudnn();  // created on first use, on this backend's device
  DeviceCache cache_;
  std::once_flag cudnn_once_;
  cudnnHandle_t cudnn_ = nullptr;
};

}  // namespace tessera::cuda
