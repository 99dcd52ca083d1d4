#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {
namespace {

using dnnl::memory;
namespace du = dnnl_util;

dnnl::algorithm algorithm_of(Backend::Binary op) {
  switch (op) {
    case Backend::Binary::subtract:
      return dnnl::algorithm::binary_sub;
    case Backend::Binary::multiply:
      return dnnl::algorithm::binary_mul;
    case Backend::Binary::add:
      break;
  }
  return dnnl::algorithm::binary_add;
}

}  // namespace

// dst = a (op) b; dst may be a itself. Both sources and the destination share a's layout: the
// optimised binary kernels want matching layouts, so b is reordered to a's beforehand.
void CpuBackend::binary(Binary op, const Tensor& a, const Tensor& b, const Tensor& dst) {
  const memory::desc md = du::desc_of(a);
  du::Key key("binary");
  key.add(int64_t(algorithm_of(op))).add(md);
  const auto& e = du::cached<dnnl::binary>(key, [&] {
    dnnl::binary::desc d(algorithm_of(op), md, md, md);
    return dnnl::binary::primitive_desc(d, du::default_attr(), du::engine());
  });
  du::execute(e, {{DNNL_ARG_SRC_0, du::memory_of(a)},
                  {DNNL_ARG_SRC_1, du::in_layout(b, md).memory},
                  {DNNL_ARG_DST, du::memory_of(dst)}});
}

Tensor CpuBackend::scale(const Tensor& a, float s) {
  // A binary multiply by a broadcast one-element tensor, not an eltwise_linear: eltwise bakes
  // the factor into the primitive, and factors that change every step (gradient clipping)
  // would grow the cache without bound.
  const memory::desc md = du::desc_of(a);
  const memory::desc s_md = du::plain_desc(Shape(a.ndim(), 1));
  du::Key key("scale");
  key.add(md);
  const auto& e = du::cached<dnnl::binary>(key, [&] {
    dnnl::binary::desc d(dnnl::algorithm::binary_mul, md, s_md, md);
    return dnnl::binary::primitive_desc(d, du::default_attr(), du::engine());
  });
  Tensor out(a.layout());
  du::execute(e, {{DNNL_ARG_SRC_0, du::memory_of(a)},
                  {DNNL_ARG_SRC_1, memory(s_md, du::engine(), &s)},
                  {DNNL_ARG_DST, du::memory_of(out)}});
  return out;
}

void CpuBackend::running_average(const Tensor& avg, const Tensor& x, float decay) {
  float* a = static_cast<float*>(avg.raw());
  const float* b = static_cast<const float*>(x.raw());
  const int64_t n = avg.numel();
  for (int64_t i = 0; i < n; ++i) a[i] = decay * a[i] + (1 - decay) * b[i];
}

}  // namespace tessera::cpu
