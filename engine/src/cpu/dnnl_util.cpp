#include "tessera/ops/dnnl_util.hpp"

#include <cstring>

namespace tessera::dnnl_util {

using dnnl::memory;

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
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
  Tensor scratch;
  if (scratchpad_md.get_size() > 0) {
    scratch = Tensor(scratchpad_md);
    args.insert({DNNL_ARG_SCRATCHPAD, scratch.memory()});
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

memory::desc any_desc(const memory::dims& dims) {
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::any);
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
