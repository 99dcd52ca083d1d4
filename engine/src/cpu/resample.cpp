// Nearest and linear upsampling on oneDNN's resampling primitives.
#include <vector>

#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {
namespace {

using dnnl::memory;
namespace du = dnnl_util;

dnnl::algorithm algorithm_of(UpsampleMode m) {
  return m == UpsampleMode::nearest ? dnnl::algorithm::resampling_nearest
                                    : dnnl::algorithm::resampling_linear;
}

du::Key resample_key(const char* op, const memory::desc& x_md, UpsampleMode m, const Shape& scale) {
  du::Key key(op);
  key.add(x_md).add(int64_t(m)).add(scale);
  return key;
}

// Forward pd for input layout `x_md`; the output layout is oneDNN's choice (the input's for
// the layouts tessera uses). Backward re-fetches it as its hint.
const du::Cached<dnnl::resampling_forward>& forward_entry(const memory::desc& x_md, UpsampleMode m,
                                                          const Shape& scale) {
  return du::cached<dnnl::resampling_forward>(resample_key("resample_fwd", x_md, m, scale), [&] {
    const std::vector<float> factors(scale.begin(), scale.end());
    const memory::desc y_md = du::any_desc(upsample_output_shape(x_md.dims(), scale));
    dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_training, algorithm_of(m), factors,
                                     x_md, y_md);
    return dnnl::resampling_forward::primitive_desc(d, du::default_attr(), du::engine());
  });
}

const du::Cached<dnnl::resampling_backward>& backward_entry(const memory::desc& x_md,
                                                            UpsampleMode m, const Shape& scale) {
  return du::cached<dnnl::resampling_backward>(resample_key("resample_bwd", x_md, m, scale), [&] {
    const auto& fwd = forward_entry(x_md, m, scale);
    const std::vector<float> factors(scale.begin(), scale.end());
    dnnl::resampling_backward::desc d(algorithm_of(m), factors, x_md, fwd.pd.dst_desc());
    return dnnl::resampling_backward::primitive_desc(d, du::default_attr(), du::engine(), fwd.pd);
  });
}

}  // namespace

Tensor CpuBackend::upsample_forward(const Tensor& x, UpsampleMode mode, const Shape& scale) {
  const auto& e = forward_entry(du::desc_of(x), mode, scale);
  Tensor y = du::make_tensor(e.pd.dst_desc());
  du::execute(e, {{DNNL_ARG_SRC, du::memory_of(x)}, {DNNL_ARG_DST, du::memory_of(y)}});
  return y;
}

Tensor CpuBackend::upsample_backward(const Tensor& dy, const Layout& x_layout, UpsampleMode mode,
                                     const Shape& scale) {
  const auto& e = backward_entry(du::desc_of(x_layout), mode, scale);
  Tensor dx = du::make_tensor(e.pd.diff_src_desc());
  du::execute(e, {{DNNL_ARG_DIFF_DST, du::in_layout(dy, e.pd.diff_dst_desc()).memory},
                  {DNNL_ARG_DIFF_SRC, du::memory_of(dx)}});
  return dx;
}

}  // namespace tessera::cpu
