#include "tessera/ops/norm.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {
namespace {

using dnnl::memory;
using dnnl::normalization_flags;

void check_input(const std::string& what, const Tensor& x) {
  if (!x.defined()) throw std::invalid_argument(what + ": undefined input");
  if (x.ndim() < 2 || x.ndim() > 5)
    throw std::invalid_argument(what + ": input " + to_string(x.shape()) +
                                " must be [N,C] or [N,C,*S] with 1 to 3 spatial dims");
}

void check_vector(const std::string& what, const char* name, const Tensor& t, int64_t n) {
  if (!t.defined() || t.shape() != Shape{n})
    throw std::invalid_argument(what + ": " + name + " must have shape [" + std::to_string(n) +
                                "], got " + (t.defined() ? to_string(t.shape()) : "undefined"));
}

void check_same_shape(const std::string& what, const Tensor& x, const Tensor& dy) {
  if (!dy.defined() || dy.shape() != x.shape())
    throw std::invalid_argument(what + ": dy " +
                                (dy.defined() ? to_string(dy.shape()) : "undefined") +
                                " must have the shape of x " + to_string(x.shape()));
}

// ---------------------------------------------------------------------------------------------
// Batch norm: oneDNN batch_normalization with separate scale and shift, on any layout.

const normalization_flags kAffine = normalization_flags::use_scale | normalization_flags::use_shift;

using BnFwd = dnnl::batch_normalization_forward;
using BnBwd = dnnl::batch_normalization_backward;
using LnFwd = dnnl::layer_normalization_forward;
using LnBwd = dnnl::layer_normalization_backward;

const dnnl_util::Cached<BnFwd>& bn_forward_entry(const memory::desc& x_md, float eps,
                                                 bool training) {
  dnnl_util::Key key("bn_fwd");
  key.add(x_md).add(double(eps)).add(int64_t(training));
  return dnnl_util::cached<BnFwd>(key, [&] {
    const auto prop =
        training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    const auto flags = training ? kAffine : kAffine | normalization_flags::use_global_stats;
    BnFwd::desc d(prop, x_md, eps, flags);
    return BnFwd::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine());
  });
}

const dnnl_util::Cached<BnBwd>& bn_backward_entry(const memory::desc& x_md, float eps) {
  dnnl_util::Key key("bn_bwd");
  key.add(x_md).add(double(eps));
  return dnnl_util::cached<BnBwd>(key, [&] {
    BnBwd::desc d(dnnl::prop_kind::backward, x_md, x_md, eps, kAffine);
    return BnBwd::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine(),
                                 bn_forward_entry(x_md, eps, /*training=*/true).pd);
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

GroupDims group_dims(const std::string& what, const Tensor& x, int64_t groups) {
  check_input(what, x);
  if (groups < 1 || x.dim(1) % groups != 0)
    throw std::invalid_argument(what + ": " + std::to_string(x.dim(1)) + " channels of input " +
                                to_string(x.shape()) + " are not divisible into " +
                                std::to_string(groups) + " groups");
  return {x.dim(0), x.dim(1), groups, x.numel() / (x.dim(0) * x.dim(1))};
}

const dnnl_util::Cached<LnFwd>& ln_forward_entry(const GroupDims& g, float eps) {
  const memory::desc rows_md = plain_desc({g.rows(), g.cols()});
  dnnl_util::Key key("gn_ln_fwd");
  key.add(rows_md).add(double(eps));
  return dnnl_util::cached<LnFwd>(key, [&] {
    LnFwd::desc d(dnnl::prop_kind::forward_training, rows_md, eps, normalization_flags::none);
    return LnFwd::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine());
  });
}

const dnnl_util::Cached<LnBwd>& ln_backward_entry(const GroupDims& g, float eps) {
  const memory::desc rows_md = plain_desc({g.rows(), g.cols()});
  dnnl_util::Key key("gn_ln_bwd");
  key.add(rows_md).add(double(eps));
  return dnnl_util::cached<LnBwd>(key, [&] {
    LnBwd::desc d(dnnl::prop_kind::backward_data, rows_md, rows_md, eps, normalization_flags::none);
    return LnBwd::primitive_desc(d, dnnl_util::default_attr(), dnnl_util::engine(),
                                 ln_forward_entry(g, eps).pd);
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

NormStats batch_norm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                   float eps) {
  const std::string what = "batch norm";
  check_input(what, x);
  check_vector(what, "gamma", gamma, x.dim(1));
  check_vector(what, "beta", beta, x.dim(1));
  const auto& e = bn_forward_entry(x.desc(), eps, /*training=*/true);
  NormStats r{Tensor(e.pd.dst_desc()), Tensor(e.pd.mean_desc()), Tensor(e.pd.variance_desc())};
  dnnl_util::execute(e, {{DNNL_ARG_SRC, x.memory()},
                         {DNNL_ARG_SCALE, gamma.to_plain().memory()},
                         {DNNL_ARG_SHIFT, beta.to_plain().memory()},
                         {DNNL_ARG_DST, r.y.memory()},
                         {DNNL_ARG_MEAN, r.mean.memory()},
                         {DNNL_ARG_VARIANCE, r.variance.memory()}});
  return r;
}

Tensor batch_norm_forward_infer(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                const Tensor& mean, const Tensor& variance, float eps) {
  const std::string what = "batch norm (inference)";
  check_input(what, x);
  for (auto [name, t] :
       {std::pair{"gamma", &gamma}, {"beta", &beta}, {"mean", &mean}, {"variance", &variance}})
    check_vector(what, name, *t, x.dim(1));
  const auto& e = bn_forward_entry(x.desc(), eps, /*training=*/false);
  Tensor y(e.pd.dst_desc());
  dnnl_util::execute(e, {{DNNL_ARG_SRC, x.memory()},
                         {DNNL_ARG_SCALE, gamma.to_plain().memory()},
                         {DNNL_ARG_SHIFT, beta.to_plain().memory()},
                         {DNNL_ARG_MEAN, mean.to_layout(e.pd.mean_desc()).memory()},
                         {DNNL_ARG_VARIANCE, variance.to_layout(e.pd.variance_desc()).memory()},
                         {DNNL_ARG_DST, y.memory()}});
  return y;
}

NormGrads batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                              const Tensor& beta, const Tensor& mean, const Tensor& variance,
                              float eps) {
  const std::string what = "batch norm backward";
  check_input(what, x);
  check_same_shape(what, x, dy);
  for (auto [name, t] :
       {std::pair{"gamma", &gamma}, {"beta", &beta}, {"mean", &mean}, {"variance", &variance}})
    check_vector(what, name, *t, x.dim(1));
  const auto& e = bn_backward_entry(x.desc(), eps);
  NormGrads g{Tensor(e.pd.diff_src_desc()), Tensor::empty({x.dim(1)}), Tensor::empty({x.dim(1)})};
  dnnl_util::execute(e, {{DNNL_ARG_SRC, x.memory()},
                         {DNNL_ARG_DIFF_DST, dy.to_layout(e.pd.diff_dst_desc()).memory()},
                         {DNNL_ARG_SCALE, gamma.to_plain().memory()},
                         // beta does not enter the gradients, but oneDNN 2.6 refuses to run
                         // without it once the primitive has use_shift.
                         {DNNL_ARG_SHIFT, beta.to_plain().memory()},
                         {DNNL_ARG_MEAN, mean.to_layout(e.pd.mean_desc()).memory()},
                         {DNNL_ARG_VARIANCE, variance.to_layout(e.pd.variance_desc()).memory()},
                         {DNNL_ARG_DIFF_SRC, g.dx.memory()},
                         {DNNL_ARG_DIFF_SCALE, g.dgamma.memory()},
                         {DNNL_ARG_DIFF_SHIFT, g.dbeta.memory()}});
  return g;
}

NormStats group_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                             int64_t groups, float eps) {
  const std::string what = "group norm";
  const GroupDims g = group_dims(what, x, groups);
  check_vector(what, "gamma", gamma, g.c);
  check_vector(what, "beta", beta, g.c);
  const auto& e = ln_forward_entry(g, eps);
  Tensor rows = x.to_plain().reshape({g.rows(), g.cols()});
  Tensor y(e.pd.dst_desc());
  NormStats r{Tensor(), Tensor(e.pd.mean_desc()), Tensor(e.pd.variance_desc())};
  dnnl_util::execute(e, {{DNNL_ARG_SRC, rows.memory()},
                         {DNNL_ARG_DST, y.memory()},
                         {DNNL_ARG_MEAN, r.mean.memory()},
                         {DNNL_ARG_VARIANCE, r.variance.memory()}});
  apply_affine(y.data(), gamma.to_plain().data(), beta.to_plain().data(), g);
  r.y = y.reshape(x.shape()).to_layout(x.desc());
  return r;
}

NormGrads group_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                              const Tensor& mean, const Tensor& variance, int64_t groups,
                              float eps) {
  const std::string what = "group norm backward";
  const GroupDims g = group_dims(what, x, groups);
  check_same_shape(what, x, dy);
  check_vector(what, "gamma", gamma, g.c);
  check_vector(what, "mean", mean, g.rows());
  check_vector(what, "variance", variance, g.rows());
  const auto& e = ln_backward_entry(g, eps);
  const Tensor xp = x.to_plain(), mean_p = mean.to_plain(), var_p = variance.to_plain();
  NormGrads r{Tensor(), Tensor::empty({g.c}), Tensor::empty({g.c})};
  Tensor dxhat = Tensor::empty({g.rows(), g.cols()});
  affine_backward(xp.data(), dy.to_plain().data(), gamma.to_plain().data(), mean_p.data(),
                  var_p.data(), eps, g, dxhat.data(), r.dgamma.data(), r.dbeta.data());
  Tensor dx = Tensor::empty({g.rows(), g.cols()});
  dnnl_util::execute(e, {{DNNL_ARG_SRC, xp.reshape({g.rows(), g.cols()}).memory()},
                         {DNNL_ARG_MEAN, mean_p.memory()},
                         {DNNL_ARG_VARIANCE, var_p.memory()},
                         {DNNL_ARG_DIFF_DST, dxhat.memory()},
                         {DNNL_ARG_DIFF_SRC, dx.memory()}});
  r.dx = dx.reshape(x.shape()).to_layout(x.desc());
  return r;
}

}  // namespace tessera
