// Batch norm on oneDNN's batch_normalization; group norm on layer_normalization over rows.
#include <cmath>
#include <stdexcept>
#include <vector>

#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {
namespace {

using dnnl::memory;
using dnnl::normalization_flags;
namespace du = dnnl_util;

// ---------------------------------------------------------------------------------------------
// Batch norm: oneDNN batch_normalization with separate scale and shift, on any layout.

const normalization_flags kAffine = normalization_flags::use_scale | normalization_flags::use_shift;

using BnFwd = dnnl::batch_normalization_forward;
using BnBwd = dnnl::batch_normalization_backward;
using LnFwd = dnnl::layer_normalization_forward;
using LnBwd = dnnl::layer_normalization_backward;

// train: batch statistics out; replay: given statistics in, a training pass all the same (the
// ReLU mask out); infer: given statistics, nothing kept.
enum class BnPass { train, replay, infer };

normalization_flags bn_flags(BnPass pass, bool relu) {
  normalization_flags f = kAffine;
  if (pass != BnPass::train) f = f | normalization_flags::use_global_stats;
  if (relu) f = f | normalization_flags::fuse_norm_relu;
  return f;
}

const du::Cached<BnFwd>& bn_forward_entry(const memory::desc& x_md, float eps, BnPass pass,
                                          bool relu) {
  du::Key key("bn_fwd");
  key.add(x_md).add(double(eps)).add(int64_t(pass)).add(int64_t(relu));
  return du::cached<BnFwd>(key, [&] {
    const auto prop = pass == BnPass::infer ? dnnl::prop_kind::forward_inference
                                            : dnnl::prop_kind::forward_training;
    BnFwd::desc d(prop, x_md, eps, bn_flags(pass, relu));
    return BnFwd::primitive_desc(d, du::default_attr(), du::engine());
  });
}

const du::Cached<BnBwd>& bn_backward_entry(const memory::desc& x_md, float eps, bool relu) {
  du::Key key("bn_bwd");
  key.add(x_md).add(double(eps)).add(int64_t(relu));
  return du::cached<BnBwd>(key, [&] {
    BnBwd::desc d(dnnl::prop_kind::backward, x_md, x_md, eps, bn_flags(BnPass::train, relu));
    return BnBwd::primitive_desc(d, du::default_attr(), du::engine(),
                                 bn_forward_entry(x_md, eps, BnPass::train, relu).pd);
  });
}

// ---------------------------------------------------------------------------------------------
// Group norm: oneDNN 2.6 has none, so each (sample, group) becomes one row of a plain
// [N*G, (C/G)*S] matrix normalised by layer_normalization; the per-channel affine is done here.

struct GroupDims {
  int64_t n, c, groups, spatial;
  int64_t rows() const { return n * groups; }
  int64_t cols() const { return c / groups * spatial; }
};

GroupDims group_dims(const Tensor& x, int64_t groups) {
  return {x.dim(0), x.dim(1), groups, x.numel() / (x.dim(0) * x.dim(1))};
}

const du::Cached<LnFwd>& ln_forward_entry(const GroupDims& g, float eps) {
  const memory::desc rows_md = du::plain_desc({g.rows(), g.cols()});
  du::Key key("gn_ln_fwd");
  key.add(rows_md).add(double(eps));
  return du::cached<LnFwd>(key, [&] {
    LnFwd::desc d(dnnl::prop_kind::forward_training, rows_md, eps, normalization_flags::none);
    return LnFwd::primitive_desc(d, du::default_attr(), du::engine());
  });
}

const du::Cached<LnBwd>& ln_backward_entry(const GroupDims& g, float eps) {
  const memory::desc rows_md = du::plain_desc({g.rows(), g.cols()});
  du::Key key("gn_ln_bwd");
  key.add(rows_md).add(double(eps));
  return du::cached<LnBwd>(key, [&] {
    LnBwd::desc d(dnnl::prop_kind::backward_data, rows_md, rows_md, eps, normalization_flags::none);
    return LnBwd::primitive_desc(d, du::default_attr(), du::engine(), ln_forward_entry(g, eps).pd);
  });
}

// y = xhat * gamma[c] + beta[c], in place on plain [N,C,S] data.
void apply_affine(float* y, const float* gamma, const float* beta, const GroupDims& g) {
#pragma omp parallel for collapse(2)
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t c = 0; c < g.c; ++c) {
      float* p = y + (n * g.c + c) * g.spatial;
      for (int64_t s = 0; s < g.spatial; ++s) p[s] = p[s] * gamma[c] + beta[c];
    }
}

// From plain x, dy and the group statistics: dxhat = dy * gamma[c] (into `dxhat`),
// dgamma[c] = sum dy * xhat and dbeta[c] = sum dy over samples and space.
void affine_backward(const float* x, const float* dy, const float* gamma, const float* mean,
                     const float* var, float eps, const GroupDims& g, float* dxhat, float* dgamma,
                     float* dbeta) {
  // Per-(sample, channel) partial sums first, so the data is read once with N*C-way parallelism.
  std::vector<double> part_g(g.n * g.c), part_b(g.n * g.c);
  const int64_t per_group = g.c / g.groups;
#pragma omp parallel for collapse(2)
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t c = 0; c < g.c; ++c) {
      const int64_t row = n * g.groups + c / per_group;
      const float inv_std = 1.f / std::sqrt(var[row] + eps);
      const int64_t base = (n * g.c + c) * g.spatial;
      double sg = 0, sb = 0;
      for (int64_t s = 0; s < g.spatial; ++s) {
        const float d = dy[base + s];
        sg += double(d) * ((x[base + s] - mean[row]) * inv_std);
        sb += d;
        dxhat[base + s] = d * gamma[c];
      }
      part_g[n * g.c + c] = sg;
      part_b[n * g.c + c] = sb;
    }
  for (int64_t c = 0; c < g.c; ++c) {
    double sg = 0, sb = 0;
    for (int64_t n = 0; n < g.n; ++n) sg += part_g[n * g.c + c], sb += part_b[n * g.c + c];
    dgamma[c] = float(sg);
    dbeta[c] = float(sb);
  }
}

}  // namespace

NormStats CpuBackend::batch_norm_forward_train(const Tensor& x, const Tensor& gamma,
                                               const Tensor& beta, float eps, bool relu,
                                               const Tensor& mean, const Tensor& variance) {
  const bool replay = mean.defined();
  const auto& e =
      bn_forward_entry(du::desc_of(x), eps, replay ? BnPass::replay : BnPass::train, relu);
  NormStats r{du::make_tensor(e.pd.dst_desc()), mean, variance, Tensor()};
  const Tensor scale = gamma.to_plain(), shift = beta.to_plain();
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, du::memory_of(x)},
                                          {DNNL_ARG_SCALE, du::memory_of(scale)},
                                          {DNNL_ARG_SHIFT, du::memory_of(shift)},
                                          {DNNL_ARG_DST, du::memory_of(r.y)}};
  // Operands stay alive until the primitive has run.
  du::Operand given_mean, given_variance;
  if (replay) {
    given_mean = du::in_layout(mean, e.pd.mean_desc());
    given_variance = du::in_layout(variance, e.pd.variance_desc());
    args.insert({{DNNL_ARG_MEAN, given_mean.memory}, {DNNL_ARG_VARIANCE, given_variance.memory}});
  } else {
    r.mean = du::make_tensor(e.pd.mean_desc());
    r.variance = du::make_tensor(e.pd.variance_desc());
    args.insert(
        {{DNNL_ARG_MEAN, du::memory_of(r.mean)}, {DNNL_ARG_VARIANCE, du::memory_of(r.variance)}});
  }
  if (relu) {
    r.relu_mask = du::make_tensor(e.pd.workspace_desc());
    args.insert({DNNL_ARG_WORKSPACE, du::memory_of(r.relu_mask)});
  }
  du::execute(e, args);
  return r;
}

Tensor CpuBackend::batch_norm_forward_infer(const Tensor& x, const Tensor& gamma,
                                            const Tensor& beta, const Tensor& mean,
                                            const Tensor& variance, float eps, bool relu) {
  const auto& e = bn_forward_entry(du::desc_of(x), eps, BnPass::infer, relu);
  Tensor y = du::make_tensor(e.pd.dst_desc());
  const Tensor scale = gamma.to_plain(), shift = beta.to_plain();
  du::execute(e, {{DNNL_ARG_SRC, du::memory_of(x)},
                  {DNNL_ARG_SCALE, du::memory_of(scale)},
                  {DNNL_ARG_SHIFT, du::memory_of(shift)},
                  {DNNL_ARG_MEAN, du::in_layout(mean, e.pd.mean_desc()).memory},
                  {DNNL_ARG_VARIANCE, du::in_layout(variance, e.pd.variance_desc()).memory},
                  {DNNL_ARG_DST, du::memory_of(y)}});
  return y;
}

NormGrads CpuBackend::batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                          const Tensor& beta, const Tensor& mean,
                                          const Tensor& variance, float eps,
                                          const Tensor& relu_mask) {
  const bool relu = relu_mask.defined();
  const auto& e = bn_backward_entry(du::desc_of(x), eps, relu);
  if (relu && du::desc_of(relu_mask) != e.pd.workspace_desc())
    throw std::invalid_argument("batch norm backward: the ReLU mask is not of a forward pass on " +
                                to_string(x.shape()) + " in this layout");
  NormGrads g{du::make_tensor(e.pd.diff_src_desc()), Tensor::empty({x.dim(1)}),
              Tensor::empty({x.dim(1)})};
  const Tensor scale = gamma.to_plain(), shift = beta.to_plain();
  const du::Operand ddst = du::in_layout(dy, e.pd.diff_dst_desc()),
                    m = du::in_layout(mean, e.pd.mean_desc()),
                    v = du::in_layout(variance, e.pd.variance_desc());
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, du::memory_of(x)},
      {DNNL_ARG_DIFF_DST, ddst.memory},
      {DNNL_ARG_SCALE, du::memory_of(scale)},
      // beta does not enter the gradients, but oneDNN 2.6 refuses to run without it once the
      // primitive has use_shift.
      {DNNL_ARG_SHIFT, du::memory_of(shift)},
      {DNNL_ARG_MEAN, m.memory},
      {DNNL_ARG_VARIANCE, v.memory},
      {DNNL_ARG_DIFF_SRC, du::memory_of(g.dx)},
      {DNNL_ARG_DIFF_SCALE, du::memory_of(g.dgamma)},
      {DNNL_ARG_DIFF_SHIFT, du::memory_of(g.dbeta)}};
  if (relu) args.insert({DNNL_ARG_WORKSPACE, du::memory_of(relu_mask)});
  du::execute(e, args);
  return g;
}

NormStats CpuBackend::group_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                         int64_t groups, float eps) {
  const GroupDims g = group_dims(x, groups);
  const auto& e = ln_forward_entry(g, eps);
  Tensor rows = x.to_plain().reshape({g.rows(), g.cols()});
  Tensor y = du::make_tensor(e.pd.dst_desc());
  NormStats r{Tensor(), du::make_tensor(e.pd.mean_desc()), du::make_tensor(e.pd.variance_desc())};
  du::execute(e, {{DNNL_ARG_SRC, du::memory_of(rows)},
                  {DNNL_ARG_DST, du::memory_of(y)},
                  {DNNL_ARG_MEAN, du::memory_of(r.mean)},
                  {DNNL_ARG_VARIANCE, du::memory_of(r.variance)}});
  apply_affine(y.data(), gamma.to_plain().data(), beta.to_plain().data(), g);
  r.y = y.reshape(x.shape()).to_layout(x.layout());
  return r;
}

NormGrads CpuBackend::group_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                          const Tensor& mean, const Tensor& variance,
                                          int64_t groups, float eps) {
  const GroupDims g = group_dims(x, groups);
  const auto& e = ln_backward_entry(g, eps);
  const Tensor xp = x.to_plain(), mean_p = mean.to_plain(), var_p = variance.to_plain();
  NormGrads r{Tensor(), Tensor::empty({g.c}), Tensor::empty({g.c})};
  Tensor dxhat = Tensor::empty({g.rows(), g.cols()});
  affine_backward(xp.data(), dy.to_plain().data(), gamma.to_plain().data(), mean_p.data(),
                  var_p.data(), eps, g, dxhat.data(), r.dgamma.data(), r.dbeta.data());
  Tensor dx = Tensor::empty({g.rows(), g.cols()});
  const Tensor x_rows = xp.reshape({g.rows(), g.cols()});
  du::execute(e, {{DNNL_ARG_SRC, du::memory_of(x_rows)},
                  {DNNL_ARG_MEAN, du::memory_of(mean_p)},
                  {DNNL_ARG_VARIANCE, du::memory_of(var_p)},
                  {DNNL_ARG_DIFF_DST, du::memory_of(dxhat)},
                  {DNNL_ARG_DIFF_SRC, du::memory_of(dx)}});
  r.dx = dx.reshape(x.shape()).to_layout(x.layout());
  return r;
}

}  // namespace tessera::cpu
