#pragma once
// A GPU's caching allocator. cudaMalloc and cudaFree synchronise the device and cost far more
// than a training step's kernels, so freed blocks are kept by size and handed out again: after
// the first step, training allocates nothing. When the GPU runs out, the cache is returned to
// the driver and the allocation tried once more before it fails.
#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

namespace tessera::cuda {

class DeviceCache {
 public:
  explicit DeviceCache(int device) : device_(device) {}
  DeviceCache(const DeviceCache&) = delete;
  DeviceCache& operator=(const DeviceCache&) = delete;

  void* take(std::size_t bytes);
  void give(void* block, std::size_t bytes);
  void release();  // every cached block back to the driver
  std::size_t cached_bytes() const;

  // Requests are rounded up to this, so that nearby sizes share blocks.
  static std::size_t rounded(std::size_t bytes);

 private:
  void release_locked();
  int device_;
  mutable std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;  // by rounded size
  std::size_t cached_ = 0;
};

}  // namespace tessera::cuda
