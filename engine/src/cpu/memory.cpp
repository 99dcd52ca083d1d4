#include "tessera/tensor/memory.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

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

// Large blocks (activations, gradients) are mapped directly and kept in a cache keyed by exact
// size. Training repeats the same shapes every step, so after the first step nearly every
// request is served from the cache: no page faults, and, unlike malloc's heap, memory that is
// released really leaves the process. On a miss the cache is emptied before mapping anew, so
// cached blocks of sizes no longer asked for never pile up on top of live ones.
constexpr std::size_t kLargeBytes = std::size_t{1} << 20;

class BlockCache {
 public:
  void* take(std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        return p;
      }
      release_all_locked();
    }
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
  }

  void give(void* p, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_[bytes].push_back(p);
  }

 private:
  void release_all_locked() {
    for (auto& [bytes, blocks] : free_)
      for (void* p : blocks) ::munmap(p, bytes);
    free_.clear();
  }

  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
};

BlockCache& block_cache() {
  static BlockCache* cache = new BlockCache();  // never destroyed: buffers may outlive statics
  return *cache;
}

std::size_t rounded_size(std::size_t bytes) {
  if (bytes >= kLargeBytes) return (bytes + 4095) / 4096 * 4096;
  return bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
}
}  // namespace

MemoryStats memory_stats() {
  return {g_current.load(), g_peak.load(), g_count.load()};
}

void reset_peak_memory() {
  g_peak.store(g_current.load());
}

Buffer::Buffer(std::size_t bytes) : bytes_(bytes) {
  const std::size_t size = rounded_size(bytes);
  data_ = size >= kLargeBytes ? block_cache().take(size) : std::aligned_alloc(64, size);
  if (!data_) throw std::bad_alloc();
  raise_peak(g_current += bytes_);
  ++g_count;
}

Buffer::~Buffer() {
  const std::size_t size = rounded_size(bytes_);
  if (size >= kLargeBytes)
    block_cache().give(data_, size);
  else
    std::free(data_);
  g_current -= bytes_;
}

}  // namespace tessera
