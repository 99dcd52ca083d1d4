#pragma once
// Tracking allocator: every tensor buffer, oneDNN scratchpad and workspace comes from here, so
// current and peak bytes are exact figures for what the engine holds (process RSS is separate).
#include <cstddef>
#include <memory>

namespace tessera {

struct MemoryStats {
  std::size_t current_bytes = 0;
  std::size_t peak_bytes = 0;
  std::size_t allocations = 0;  // number of allocations since start
};

MemoryStats memory_stats();
// Sets the peak to the current figure, so a later peak measures one phase only.
void reset_peak_memory();
// Gives the freed blocks kept for reuse back to the system and bounds the cache by what is live
// now, for a phase whose shapes differ from the last one's (tiled inference after its probes).
void release_cached_memory();

// A block of 64-byte aligned bytes owned by the tracking allocator.
class Buffer {
 public:
  explicit Buffer(std::size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace tessera
