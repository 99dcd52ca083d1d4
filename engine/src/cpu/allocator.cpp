// The CPU's tracking allocator: small blocks from aligned_alloc, large ones mapped and cached.
#include "backend.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace tessera::cpu {
namespace {
// Bytes live in CPU buffers now, and the most ever live at once (reset only by
// release_cached_memory): the bound of the block cache. Part of the cache's state.
std::atomic<std::size_t> g_live{0};
std::atomic<std::size_t> g_high_water{0};

void raise(std::atomic<std::size_t>& mark, std::size_t now) {
  std::size_t seen = mark.load();
  while (now > seen && !mark.compare_exchange_weak(seen, now)) {
  }
}

// Large blocks (activations, gradients) are mapped directly and kept in a cache keyed by exact
// size. Training and tiled inference repeat the same shapes step after step, so after the first
// step nearly every request is served from the cache: no page faults, and, unlike malloc's heap,
// memory that is released really leaves the process. The cache holds at most twice as many
// bytes as were ever live at once (the working set; at least kMinCacheBytes), dropping the
// blocks freed longest ago first, so blocks of sizes no longer asked for do not pile up on top
// of live ones. Twice, because a block freed mid-step serves only its own size: a training step
// maps more than its peak, and a cache bounded by the peak unmapped and remapped blocks every
// step (two thirds of a small network's training time went to the kernel's page faults).
constexpr std::size_t kLargeBytes = std::size_t{1} << 16;
// A small working set (a streamed 2D column) frees many blocks of a few sizes in turn; below
// this the cache would drop blocks that the next chunk asks for again.
constexpr std::size_t kMinCacheBytes = std::size_t{32} << 20;

class BlockCache {
 public:
  void* take(std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = by_size_.find(bytes);
      if (it != by_size_.end() && !it->second.empty()) {
        const uint64_t age = it->second.back();  // the most recently freed: warmest in cache
        it->second.pop_back();
        const auto block = by_age_.find(age);
        void* p = block->second.data;
        by_age_.erase(block);
        cached_ -= bytes;
        return p;
      }
    }
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
  }

  void give(void* p, std::size_t bytes, std::size_t bound) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t age = next_age_++;
    by_age_.emplace(age, Block{p, bytes});
    by_size_[bytes].push_back(age);
    cached_ += bytes;
    trim_locked(bound);
  }

  void trim(std::size_t bound) {
    std::lock_guard<std::mutex> lock(mutex_);
    trim_locked(bound);
  }

 private:
  struct Block {
    void* data;
    std::size_t bytes;
  };

  // Unmaps the blocks freed longest ago until at most `bound` bytes are cached.
  void trim_locked(std::size_t bound) {
    while (cached_ > bound && !by_age_.empty()) {
      const auto oldest = by_age_.begin();
      const Block block = oldest->second;
      by_size_[block.bytes].pop_front();  // ages per size are in order: this one is first
      by_age_.erase(oldest);
      ::munmap(block.data, block.bytes);
      cached_ -= block.bytes;
    }
  }

  std::mutex mutex_;
  uint64_t next_age_ = 0;
  std::map<uint64_t, Block> by_age_;                               // oldest first
  std::unordered_map<std::size_t, std::deque<uint64_t>> by_size_;  // ages, oldest first
  std::size_t cached_ = 0;
};

BlockCache& block_cache() {
  static BlockCache* cache = new BlockCache();  // never destroyed: buffers may outlive statics
  return *cache;
}

// Large blocks come in size classes, eight per doubling (at most 12.5% over the request, and
// the untouched tail of a block costs no physical memory), so that the near sizes of a stream's
// chunks (the last rows of a column, a few rows kept for the next chunk) share cached blocks.
std::size_t rounded_size(std::size_t bytes) {
  if (bytes < kLargeBytes) return bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  const int top = std::bit_width(bytes - 1);  // 2^(top-1) < bytes <= 2^top
  const std::size_t step = std::size_t{1} << std::max(top - 4, 12);
  return (bytes + step - 1) / step * step;
}
}  // namespace

void* CpuBackend::allocate(std::size_t bytes) {
  const std::size_t size = rounded_size(bytes);
  void* data = size >= kLargeBytes ? block_cache().take(size) : std::aligned_alloc(64, size);
  if (!data) throw std::bad_alloc();
  raise(g_high_water, g_live += bytes);
  return data;
}

void CpuBackend::deallocate(void* data, std::size_t bytes) {
  g_live -= bytes;
  const std::size_t size = rounded_size(bytes);
  if (size >= kLargeBytes)
    block_cache().give(data, size, std::max(2 * g_high_water.load(), kMinCacheBytes));
  else
    std::free(data);
}

void CpuBackend::release_cached_memory() {
  g_high_water.store(g_live.load());
  block_cache().trim(0);
}

}  // namespace tessera::cpu
