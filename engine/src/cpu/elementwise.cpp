#include "tessera/ops/elementwise.hpp"

#include <stdexcept>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {
namespace {

using dnnl::memory;

void check_pair(const char* what, const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined())
    throw std::invalid_argument(std::string(what) + ": undefined operand");
  if (a.shape() != b.shape())
    throw std::invalid_argument(std::string(what) + ": shapes " + to_string(a.shape()) + " and " +
                                to_string(b.shape()) + " differ");
}

// dst = a (op) b; dst may be a itself. Both sources and the destination share a's layout: the
// optimised binary kernels want matching layouts, so b is reordered to a's beforehand.
void run_binary(dnnl::algorithm alg, const Tensor& a, const Tensor& b, const Tensor& dst) {
  const memory::desc& md = a.desc();
  dnnl_util::Key key("binary");
  key.add(int64_t(alg)).add(md);
  const auto& e = dnnl_util::cached<dnnl::binary>(key, [&] {
    dnnl::binary::desc d(alg, md, md, md);
    return dnnl::binary::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine());
  });
  dnnl_util::execute(e, {{DNNL_ARG_SRC_0, a.memory()},
                         {DNNL_ARG_SRC_1, b.to_layout(a.desc()).memory()},
                         {DNNL_ARG_DST, dst.memory()}});
}

Tensor binary_op(const char* what, dnnl::algorithm alg, const Tensor& a, const Tensor& b) {
  check_pair(what, a, b);
  Tensor out(a.desc());
  run_binary(alg, a, b, out);
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  return binary_op("add", dnnl::algorithm::binary_add, a, b);
}

Tensor subtract(const Tensor& a, const Tensor& b) {
  return binary_op("subtract", dnnl::algorithm::binary_sub, a, b);
}

Tensor multiply(const Tensor& a, const Tensor& b) {
  return binary_op("multiply", dnnl::algorithm::binary_mul, a, b);
}

Tensor scale(const Tensor& a, float s) {
  if (!a.defined()) throw std::invalid_argument("scale: undefined input");
  // A binary multiply by a broadcast one-element tensor, not an eltwise_linear: eltwise bakes
  // the factor into the primitive, and factors that change every step (gradient clipping)
  // would grow the cache without bound.
  const memory::desc s_md = plain_desc(Shape(a.ndim(), 1));
  dnnl_util::Key key("scale");
  key.add(a.desc());
  const auto& e = dnnl_util::cached<dnnl::binary>(key, [&] {
    dnnl::binary::desc d(dnnl::algorithm::binary_mul, a.desc(), s_md, a.desc());
    return dnnl::binary::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine());
  });
  Tensor out(a.desc());
  dnnl_util::execute(e, {{DNNL_ARG_SRC_0, a.memory()},
                         {DNNL_ARG_SRC_1, dnnl::memory(s_md, dnnl_util::engine(), &s)},
                         {DNNL_ARG_DST, out.memory()}});
  return out;
}

void add_inplace(Tensor& acc, const Tensor& t) {
  check_pair("add_inplace", acc, t);
  run_binary(dnnl::algorithm::binary_add, acc, t, acc);
}

}  // namespace tessera
