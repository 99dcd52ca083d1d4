#pragma once
// Tracking allocation: every tensor buffer, oneDNN scratchpad and workspace comes from the
// allocator of its device, and each device keeps exact figures of what the engine holds there
// (process RSS is separate).
#include <cstddef>
#include <memory>

#include "tessera/tensor/device.hpp"

namespace tessera {

struct MemoryStats {
  std::size_t current_bytes = 0;
  std::size_t peak_bytes = 0;
  std::size_t allocations = 0;  // number of allocations since start
};

MemoryStats memory_stats(Device device = Device::cpu());
// Sets the peak to the current figure, so a later peak measures one phase only.
void reset_peak_memory(Device device = Device::cpu());
// Gives the freed blocks the device's allocator keeps for reuse back to the system, for a phase
// whose shapes differ from the last one's (tiled inference after its probes).
void release_cached_memory(Device device = Device::cpu());

// A block of 64-byte aligned bytes on one device, owned by that device's tracking allocator, or
// borrowed memory that the caller owns and keeps alive (not freed, not counted).
class Buffer {
 public:
  Buffer(std::size_t bytes, Device device);
  static std::shared_ptr<Buffer> borrow(void* data, std::size_t bytes, Device device);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Buffer(void* data, std::size_t bytes, Device device);  // borrowed
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  Device device_;
  bool owned_ = true;
};

}  // namespace tessera
