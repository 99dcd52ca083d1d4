#include "tessera/tensor/memory.hpp"

#include <array>
#include <atomic>
#include <new>
#include <stdexcept>

#include "../ops/backend.hpp"

namespace tessera {
namespace {

// Per-device counters: the one piece of global state the engine keeps besides caches.
struct Counters {
  std::atomic<std::size_t> current{0}, peak{0}, count{0};
};

constexpr int kMaxGpus = 16;

Counters& counters(Device d) {
  static std::array<Counters, 1 + kMaxGpus> all;
  if (d.is_host()) return all[0];
  if (d.index < 0 || d.index >= kMaxGpus)
    throw std::invalid_argument("device " + to_string(d) + ": tessera counts GPUs 0 to " +
                                std::to_string(kMaxGpus - 1));
  return all[size_t(1 + d.index)];
}

void raise(std::atomic<std::size_t>& mark, std::size_t now) {
  std::size_t seen = mark.load();
  while (now > seen && !mark.compare_exchange_weak(seen, now)) {
  }
}

}  // namespace

MemoryStats memory_stats(Device device) {
  const Counters& c = counters(device);
  return {c.current.load(), c.peak.load(), c.count.load()};
}

void reset_peak_memory(Device device) {
  Counters& c = counters(device);
  c.peak.store(c.current.load());
}

void release_cached_memory(Device device) {
  backend_for(device).release_cached_memory();
}

Buffer::Buffer(std::size_t bytes, Device device) : bytes_(bytes), device_(device) {
  Counters& c = counters(device);
  data_ = backend_for(device).allocate(bytes);
  if (!data_) throw std::bad_alloc();
  const std::size_t now = c.current += bytes_;
  raise(c.peak, now);
  ++c.count;
}

Buffer::Buffer(void* data, std::size_t bytes, Device device)
    : data_(data), bytes_(bytes), device_(device), owned_(false) {}

std::shared_ptr<Buffer> Buffer::borrow(void* data, std::size_t bytes, Device device) {
  return std::shared_ptr<Buffer>(new Buffer(data, bytes, device));
}

Buffer::~Buffer() {
  if (!owned_) return;
  backend_for(device_).deallocate(data_, bytes_);
  counters(device_).current -= bytes_;
}

}  // namespace tessera
