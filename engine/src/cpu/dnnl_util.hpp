#pragma once
// The oneDNN adapter, written once and private to the CPU backend: the CPU engine and stream,
// Layout <-> memory descriptor, a cache of primitives keyed by everything that defines them,
// user-mode scratchpads drawn from the tracking allocator, and reorders that run only when
// layouts differ.
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include <dnnl.hpp>

#include "tessera/tensor/tensor.hpp"

namespace tessera::dnnl_util {

dnnl::engine& engine();
dnnl::stream& stream();

// ---- tensors as oneDNN sees them ----

// The descriptor of `layout`, and back. layout_of throws for formats a Layout cannot state
// (oneDNN's packed RNN weights); those stay inside one op as an Operand.
dnnl::memory::desc desc_of(const Layout& layout);
Layout layout_of(const dnnl::memory::desc& md);
dnnl::memory::desc desc_of(const Tensor& t);
// Plain row-major descriptor of `shape`.
dnnl::memory::desc plain_desc(const Shape& shape,
                              dnnl::memory::data_type dt = dnnl::memory::data_type::f32);
// The tensor's bytes as oneDNN memory in its own layout.
dnnl::memory memory_of(const Tensor& t);
// An uninitialised CPU tensor of layout `md`, and a zero-filled one.
Tensor make_tensor(const dnnl::memory::desc& md);
Tensor make_zeros(const dnnl::memory::desc& md);

// A tensor's data in the layout a primitive asks for: its own memory when the layouts agree,
// else a reordered copy. The Operand keeps whichever it is alive (the tensor may be a
// temporary), so it must outlive the primitive's execution. Any oneDNN format, packed ones
// included.
struct Operand {
  dnnl::memory memory;
  Tensor source;
  std::shared_ptr<Buffer> copy;
};
Operand in_layout(const Tensor& t, const dnnl::memory::desc& md);

// Attributes every tessera primitive uses: scratchpad memory owned by the caller.
dnnl::primitive_attr default_attr();

// Builds a byte string that identifies a primitive: op name, descriptors, integer settings.
// The name ends at a NUL byte, so the keys of two ops differ even when one name begins the other.
class Key {
 public:
  explicit Key(const char* op) : s_(op) { s_ += '\0'; }
  Key& add(const dnnl::memory::desc& md);
  Key& add(const dnnl::memory::dims& dims);
  Key& add(int64_t v);
  Key& add(double v);
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

// A process-wide cache of created primitives (and their descriptors), one per entry type (see
// cached() below). Entries live for the process: shapes in a training run are few and fixed.
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

// A created primitive and the descriptor it came from (its layouts, scratchpad and workspace,
// and the hint a backward primitive needs).
template <typename Prim>
struct Cached {
  typename Prim::primitive_desc pd;
  Prim prim;
};

// The primitive for `key`, created once from make_pd() (which returns a Prim::primitive_desc)
// and reused for the life of the process. There is one cache per primitive type, shared by all
// ops of that type, so `key` must name the op: keys of different ops never collide. make_pd may
// fetch a primitive of another type (a backward primitive's forward hint) but not of Prim: the
// cache stays locked while it runs.
template <typename Prim, typename MakePd>
const Cached<Prim>& cached(const Key& key, MakePd&& make_pd) {
  static Cache<Cached<Prim>> cache;
  return cache.get(key, [&] {
    typename Prim::primitive_desc pd = make_pd();
    return Cached<Prim>{pd, Prim(pd)};
  });
}

// Executes a cached primitive with `args` and a scratchpad of the size its descriptor asks for.
template <typename Prim>
void execute(const Cached<Prim>& c, std::unordered_map<int, dnnl::memory> args) {
  execute(c.prim, c.pd.scratchpad_desc(), std::move(args));
}

// Copies `src` into `dst` (same logical shape, any layouts) through a cached reorder.
void reorder(const dnnl::memory& src, const dnnl::memory& dst);

// A descriptor of `dims` with format_tag::any: the primitive picks the layout.
dnnl::memory::desc any_desc(const dnnl::memory::dims& dims,
                            dnnl::memory::data_type dt = dnnl::memory::data_type::f32);

dnnl::memory::format_tag plain_tag(int ndims);
// An activation's descriptor for a primitive: channels last (nhwc, ndhwc) when `channels_last`,
// else format_tag::any (oneDNN's choice, blocked by 16 channels on AVX-512).
dnnl::memory::desc act_desc(const dnnl::memory::dims& dims, bool channels_last,
                            dnnl::memory::data_type dt = dnnl::memory::data_type::f32);
// Whether `t` [N, C, *S] is laid out channels last.
bool is_channels_last(const Tensor& t);

}  // namespace tessera::dnnl_util
