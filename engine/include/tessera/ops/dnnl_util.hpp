#pragma once
// The oneDNN adapter, written once: the CPU engine and stream, a cache of primitives keyed by
// everything that defines them, user-mode scratchpads drawn from the tracking allocator, and
// reorders that run only when layouts differ.
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include <dnnl.hpp>

#include "tessera/tensor/tensor.hpp"

namespace tessera::dnnl_util {

dnnl::engine& engine();
dnnl::stream& stream();

// Attributes every tessera primitive uses: scratchpad memory owned by the caller.
dnnl::primitive_attr default_attr();

// Builds a byte string that identifies a primitive: op name, descriptors, integer settings.
class Key {
 public:
  explicit Key(const char* op) : s_(op) {}
  Key& add(const dnnl::memory::desc& md);
  Key& add(const dnnl::memory::dims& dims);
  Key& add(int64_t v);
  Key& add(double v);
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

// A process-wide cache of created primitives (and their descriptors), one per op type. Entries
// live for the process: shapes in a training run are few and fixed.
template <typename Entry>
class Cache {
 public:
  const Entry& get(const Key& key, const std::function<Entry()>& make) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = map_.find(key.str());
    if (it == map_.end()) it = map_.emplace(key.str(), make()).first;
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> map_;
};

// Executes `prim` with `args`, adding a scratchpad of `scratchpad_md` from the tracking allocator.
void execute(const dnnl::primitive& prim, const dnnl::memory::desc& scratchpad_md,
             std::unordered_map<int, dnnl::memory> args);

// Copies `src` into `dst` (same logical shape, any layouts) through a cached reorder.
void reorder(const dnnl::memory& src, const dnnl::memory& dst);

// f32 descriptor of `dims` with format_tag::any: the primitive picks the layout.
dnnl::memory::desc any_desc(const dnnl::memory::dims& dims);

dnnl::memory::format_tag plain_tag(int ndims);

}  // namespace tessera::dnnl_util
