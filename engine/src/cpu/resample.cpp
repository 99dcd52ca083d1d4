#include "tessera/ops/resample.hpp"

#include <stdexcept>
#include <vector>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {
namespace {

using dnnl::memory;

const char* mode_name(UpsampleMode m) {
  return m == UpsampleMode::nearest ? "nearest upsampling" : "linear upsampling";
}

void check_args(const std::string& what, const Shape& x_shape, const Shape& scale) {
  if (x_shape.size() < 3 || x_shape.size() > 5)
    throw std::invalid_argument(what + ": input " + to_string(x_shape) +
                                " must be [N,C,W], [N,C,H,W] or [N,C,D,H,W]");
  if (scale.size() != x_shape.size() - 2)
    throw std::invalid_argument(what + ": scale " + to_string(scale) + " has " +
                                std::to_string(scale.size()) + " dims but input " +
                                to_string(x_shape) + " has " + std::to_string(x_shape.size() - 2) +
                                " spatial dims");
  for (auto s : scale)
    if (s < 1) throw std::invalid_argument(what + ": scale " + to_string(scale) + " must be >= 1");
}

Shape output_shape(const Shape& x_shape, const Shape& scale) {
  Shape y = x_shape;
  for (size_t i = 0; i < scale.size(); ++i) y[i + 2] *= scale[i];
  return y;
}

dnnl::algorithm algorithm_of(UpsampleMode m) {
  return m == UpsampleMode::nearest ? dnnl::algorithm::resampling_nearest
                                    : dnnl::algorithm::resampling_linear;
}

dnnl_util::Key resample_key(const char* op, const memory::desc& x_md, UpsampleMode m,
                            const Shape& scale) {
  dnnl_util::Key key(op);
  key.add(x_md).add(int64_t(m)).add(scale);
  return key;
}

// Forward pd for input layout `x_md`; the output layout is oneDNN's choice (the input's for
// the layouts tessera uses). Backward re-fetches it as its hint.
const dnnl_util::Cached<dnnl::resampling_forward>& forward_entry(const memory::desc& x_md,
                                                                 UpsampleMode m,
                                                                 const Shape& scale) {
  return dnnl_util::cached<dnnl::resampling_forward>(
      resample_key("resample_fwd", x_md, m, scale), [&] {
        const std::vector<float> factors(scale.begin(), scale.end());
        const memory::desc y_md = dnnl_util::any_desc(output_shape(x_md.dims(), scale));
        dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_training, algorithm_of(m),
                                         factors, x_md, y_md);
        return dnnl::resampling_forward::primitive_desc(d, dnnl_util::default_attr(),
                                                        dnnl_util::engine());
      });
}

const dnnl_util::Cached<dnnl::resampling_backward>& backward_entry(const memory::desc& x_md,
                                                                   UpsampleMode m,
                                                                   const Shape& scale) {
  return dnnl_util::cached<dnnl::resampling_backward>(
      resample_key("resample_bwd", x_md, m, scale), [&] {
        const auto& fwd = forward_entry(x_md, m, scale);
        const std::vector<float> factors(scale.begin(), scale.end());
        dnnl::resampling_backward::desc d(algorithm_of(m), factors, x_md, fwd.pd.dst_desc());
        return dnnl::resampling_backward::primitive_desc(d, dnnl_util::default_attr(),
                                                         dnnl_util::engine(), fwd.pd);
      });
}

}  // namespace

Tensor upsample_forward(const Tensor& x, UpsampleMode mode, const Shape& scale) {
  if (!x.defined()) throw std::invalid_argument(std::string(mode_name(mode)) + ": undefined input");
  check_args(mode_name(mode), x.shape(), scale);
  const auto& e = forward_entry(x.desc(), mode, scale);
  Tensor y(e.pd.dst_desc());
  dnnl_util::execute(e, {{DNNL_ARG_SRC, x.memory()}, {DNNL_ARG_DST, y.memory()}});
  return y;
}

Tensor upsample_backward(const Tensor& dy, const memory::desc& x_md, UpsampleMode mode,
                         const Shape& scale) {
  const std::string what = std::string(mode_name(mode)) + " backward";
  if (!dy.defined()) throw std::invalid_argument(what + ": undefined dy");
  check_args(what, x_md.dims(), scale);
  const Shape y_shape = output_shape(x_md.dims(), scale);
  if (dy.shape() != y_shape)
    throw std::invalid_argument(what + ": dy " + to_string(dy.shape()) +
                                " does not match the output " + to_string(y_shape) + " of input " +
                                to_string(x_md.dims()));
  const auto& e = backward_entry(x_md, mode, scale);
  Tensor dx(e.pd.diff_src_desc());
  dnnl_util::execute(e, {{DNNL_ARG_DIFF_DST, dy.to_layout(e.pd.diff_dst_desc()).memory()},
                         {DNNL_ARG_DIFF_SRC, dx.memory()}});
  return dx;
}

}  // namespace tessera
