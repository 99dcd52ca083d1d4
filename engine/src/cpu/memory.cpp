#include "tessera/tensor/memory.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace tessera {
namespace {
// Process-wide counters: the one piece of global state the engine keeps besides caches.
std::atomic<std::size_t> g_current{0};
std::atomic<std::size_t> g_peak{0};
std::atomic<std::size_t> g_count{0};

void raise_peak(std::size_t now) {
  std::size_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
}
}  // namespace

MemoryStats memory_stats() { return {g_current.load(), g_peak.load(), g_count.load()}; }

void reset_peak_memory() { g_peak.store(g_current.load()); }

Buffer::Buffer(std::size_t bytes) : bytes_(bytes) {
  const std::size_t rounded = (bytes + 63) / 64 * 64;
  data_ = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!data_) throw std::bad_alloc();
  raise_peak(g_current += bytes_);
  ++g_count;
}

Buffer::~Buffer() {
  std::free(data_);
  g_current -= bytes_;
}

}  // namespace tessera
