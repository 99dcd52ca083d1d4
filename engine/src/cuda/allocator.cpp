#include "allocator.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cuda_check.hpp"

namespace tessera::cuda {

std::size_t DeviceCache::rounded(std::size_t bytes) {
  constexpr std::size_t kGranule = 512;
  return (std::max<std::size_t>(bytes, 1) + kGranule - 1) / kGranule * kGranule;
}

void* DeviceCache::take(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
    void* block = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    return block;
  }
  use_device(device_);
  void* block = nullptr;
  cudaError_t status = cudaMalloc(&block, size);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the sticky error before trying again
    release_locked();
    status = cudaMalloc(&block, size);
  }
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    std::size_t free_bytes = 0, total = 0;
    cudaMemGetInfo(&free_bytes, &total);
    throw std::runtime_error("cuda:" + std::to_string(device_) + ": out of GPU memory asking for " +
                             std::to_string(size >> 20) + " MiB (" +
                             std::to_string(free_bytes >> 20) + " of " +
                             std::to_string(total >> 20) +
                             " MiB free); use smaller crops or batches, or reversible training");
  }
  check(status, "cudaMalloc on cuda:" + std::to_string(device_));
  return block;
}

void DeviceCache::give(void* block, std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  free_[size].push_back(block);
  cached_ += size;
}

void DeviceCache::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_locked();
}

void DeviceCache::release_locked() {
  use_device(device_);
  for (auto& [size, blocks] : free_)
    for (void* block : blocks) cudaFree(block);
  cudaGetLastError();  // a failed free (the context torn down at exit) is not the next call's
  free_.clear();
  cached_ = 0;
}

std::size_t DeviceCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_;
}

}  // namespace tessera::cuda
