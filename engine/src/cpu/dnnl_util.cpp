#include "dnnl_util.hpp"

#include <cstring>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include <optional>
#include <stdexcept>
#include <utility>

namespace tessera::dnnl_util {

using dnnl::memory;

namespace {

// Denormal floats (below 1e-38) cost a hundred times a normal one on x86, and training meets
// them: a classifier that has learnt its batch sends gradients of 1e-40 back through every
// layer, and steps take 50x longer. Flushed to zero in every OpenMP thread, as PyTorch's
// set_flush_denormal does; they are far below anything a float32 network can resolve.
void flush_denormals() {
#if defined(__SSE__)
#pragma omp parallel
  _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
#endif
}

}  // namespace

dnnl::engine& engine() {
  static dnnl::engine eng = [] {
    flush_denormals();
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }();
  return eng;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

namespace {

// Each tessera data type and its oneDNN twin: one table for both directions.
constexpr std::pair<DataType, memory::data_type> kTypes[] = {
    {DataType::f32, memory::data_type::f32}, {DataType::bf16, memory::data_type::bf16},
    {DataType::f16, memory::data_type::f16}, {DataType::s32, memory::data_type::s32},
    {DataType::s8, memory::data_type::s8},   {DataType::u8, memory::data_type::u8}};

memory::data_type dnnl_type(DataType t) {
  for (const auto& [ours, theirs] : kTypes)
    if (ours == t) return theirs;
  throw std::logic_error("data type " + to_string(t) + " has no oneDNN twin");
}

DataType tessera_type(memory::data_type t) {
  for (const auto& [ours, theirs] : kTypes)
    if (theirs == t) return ours;
  throw std::logic_error("oneDNN data type " + std::to_string(int(t)) + " has no tessera twin");
}

}  // namespace

memory::desc desc_of(const Layout& l) {
  dnnl_memory_desc_t d{};
  d.ndims = int(l.dims.size());
  if (d.ndims > DNNL_MAX_NDIMS || l.padded_dims.size() != l.dims.size() ||
      l.strides.size() != l.dims.size() || l.blocks.size() > size_t(DNNL_MAX_NDIMS))
    throw std::invalid_argument("layout " + to_string(l) + " is malformed");
  d.data_type = static_cast<dnnl_data_type_t>(dnnl_type(l.dtype));
  d.format_kind = dnnl_blocked;
  auto& b = d.format_desc.blocking;
  for (int i = 0; i < d.ndims; ++i) {
    d.dims[i] = l.dims[size_t(i)];
    d.padded_dims[i] = l.padded_dims[size_t(i)];
    b.strides[i] = l.strides[size_t(i)];
  }
  b.inner_nblks = int(l.blocks.size());
  for (size_t i = 0; i < l.blocks.size(); ++i) {
    b.inner_blks[i] = l.blocks[i].size;
    b.inner_idxs[i] = l.blocks[i].dim;
  }
  return memory::desc(d);
}

Layout layout_of(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked)
    throw std::logic_error("a oneDNN memory format (kind " + std::to_string(int(d.format_kind)) +
                           ") that a tensor layout cannot state");
  Layout l;
  l.dtype = tessera_type(md.data_type());
  const auto& b = d.format_desc.blocking;
  for (int i = 0; i < d.ndims; ++i) {
    if (d.padded_offsets[i] != 0)
      throw std::logic_error("a oneDNN view (padded offsets) cannot be a tensor layout");
    l.dims.push_back(d.dims[i]);
    l.padded_dims.push_back(d.padded_dims[i]);
    l.strides.push_back(b.strides[i]);
  }
  for (int i = 0; i < b.inner_nblks; ++i)
    l.blocks.push_back({int(b.inner_idxs[i]), b.inner_blks[i]});
  if (d.offset0 != 0 || d.extra.flags != 0 || l.bytes() != md.get_size())
    throw std::logic_error("oneDNN layout of " + std::to_string(md.get_size()) + " bytes read as " +
                           to_string(l) + " (" + std::to_string(l.bytes()) + " bytes)");
  return l;
}

memory::desc desc_of(const Tensor& t) {
  return desc_of(t.layout());
}

memory::desc plain_desc(const Shape& shape, memory::data_type dt) {
  return memory::desc(shape, dt, plain_tag(static_cast<int>(shape.size())));
}

memory memory_of(const Tensor& t) {
  return memory(desc_of(t), engine(), t.raw());
}

Tensor make_tensor(const memory::desc& md) {
  return Tensor(layout_of(md), Device::cpu());
}

Tensor make_zeros(const memory::desc& md) {
  return Tensor::zeros(layout_of(md), Device::cpu());
}

Operand in_layout(const Tensor& t, const memory::desc& md) {
  const memory own = memory_of(t);
  if (own.get_desc() == md) return {own, t, nullptr};
  auto copy = std::make_shared<Buffer>(md.get_size(), Device::cpu());
  const memory m(md, engine(), copy->data());
  reorder(own, m);
  return {m, Tensor(), copy};
}

dnnl::primitive_attr default_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

Key& Key::add(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  add(int64_t{d.ndims});
  for (int i = 0; i < d.ndims; ++i) add(int64_t{d.dims[i]});
  add(int64_t{d.data_type});
  add(int64_t{d.format_kind});
  add(int64_t{d.offset0});
  if (d.format_kind == dnnl_blocked) {
    const auto& b = d.format_desc.blocking;
    for (int i = 0; i < d.ndims; ++i) add(int64_t{b.strides[i]});
    add(int64_t{b.inner_nblks});
    for (int i = 0; i < b.inner_nblks; ++i)
      add(int64_t{b.inner_blks[i]}).add(int64_t{b.inner_idxs[i]});
  }
  // Padded dims matter for sub-memory views of blocked layouts.
  for (int i = 0; i < d.ndims; ++i)
    add(int64_t{d.padded_dims[i]}).add(int64_t{d.padded_offsets[i]});
  s_ += '|';
  return *this;
}

Key& Key::add(const memory::dims& dims) {
  add(static_cast<int64_t>(dims.size()));
  for (auto v : dims) add(v);
  return *this;
}

Key& Key::add(int64_t v) {
  s_.append(reinterpret_cast<const char*>(&v), sizeof v);
  return *this;
}

Key& Key::add(double v) {
  s_.append(reinterpret_cast<const char*>(&v), sizeof v);
  return *this;
}

void execute(const dnnl::primitive& prim, const memory::desc& scratchpad_md,
             std::unordered_map<int, memory> args) {
  std::optional<Buffer> scratch;
  if (scratchpad_md.get_size() > 0) {
    scratch.emplace(scratchpad_md.get_size(), Device::cpu());
    args.insert({DNNL_ARG_SCRATCHPAD, memory(scratchpad_md, engine(), scratch->data())});
  }
  prim.execute(stream(), args);
  stream().wait();
}

void reorder(const memory& src, const memory& dst) {
  Key key("reorder");
  key.add(src.get_desc()).add(dst.get_desc());
  const auto& r = cached<dnnl::reorder>(key, [&] {
    return dnnl::reorder::primitive_desc(engine(), src.get_desc(), engine(), dst.get_desc(),
                                         default_attr());
  });
  execute(r, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
}

memory::desc any_desc(const memory::dims& dims, memory::data_type dt) {
  return memory::desc(dims, dt, memory::format_tag::any);
}

memory::desc act_desc(const memory::dims& dims, bool channels_last, memory::data_type dt) {
  if (!channels_last || dims.size() < 4) return any_desc(dims, dt);
  using tag = memory::format_tag;
  return memory::desc(dims, dt, dims.size() == 5 ? tag::ndhwc : tag::nhwc);
}

bool is_channels_last(const Tensor& t) {
  if (t.ndim() < 4) return false;
  return desc_of(t) == act_desc(t.shape(), true);
}

memory::format_tag plain_tag(int ndims) {
  switch (ndims) {
    case 1:
      return memory::format_tag::a;
    case 2:
      return memory::format_tag::ab;
    case 3:
      return memory::format_tag::abc;
    case 4:
      return memory::format_tag::abcd;
    case 5:
      return memory::format_tag::abcde;
    case 6:
      return memory::format_tag::abcdef;
    case 7:
      return memory::format_tag::abcdefg;
    case 8:
      return memory::format_tag::abcdefgh;
  }
  throw std::invalid_argument("tensor rank " + std::to_string(ndims) +
                              " is not supported (1 to 8)");
}

}  // namespace tessera::dnnl_util
