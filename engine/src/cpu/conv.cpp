// Convolution and transposed convolution share one implementation, templated on the oneDNN
// primitive family; linear layers use inner product. Weights and biases stay plain (the
// optimizer updates them in place); activations keep whatever layout the primitive prefers.
#include "tessera/ops/conv.hpp"

#include <stdexcept>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {

using dnnl::memory;
using dnnl::prop_kind;
namespace du = dnnl_util;

namespace {

struct Geometry {
  memory::dims stride, dilate, pad_l, pad_r;  // oneDNN conventions: dilation 0 = dense
};

Shape or_default(const Shape& v, size_t n, int64_t def, const char* what) {
  if (v.empty()) return Shape(n, def);
  if (v.size() != n)
    throw std::invalid_argument(std::string("convolution: ") + what + " has " +
                                std::to_string(v.size()) + " values for " + std::to_string(n) +
                                " spatial dims");
  return v;
}

Geometry geometry_of(const ConvParams& p, size_t sd, bool transposed) {
  Geometry g;
  g.stride = or_default(p.stride, sd, 1, "stride");
  g.pad_l = or_default(p.padding, sd, 0, "padding");
  Shape dil = or_default(p.dilation, sd, 1, "dilation");
  Shape outpad = or_default(p.output_padding, sd, 0, "output_padding");
  g.pad_r = g.pad_l;
  for (size_t i = 0; i < sd; ++i) {
    if (g.stride[i] < 1 || dil[i] < 1 || g.pad_l[i] < 0)
      throw std::invalid_argument("convolution: stride and dilation must be >= 1, padding >= 0");
    g.dilate.push_back(dil[i] - 1);
    // The far-edge padding shrinks by output_padding, which grows a transposed output.
    if (transposed) g.pad_r[i] -= outpad[i];
  }
  return g;
}

void check_operands(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                    int64_t groups, bool transposed) {
  const int sd = x.spatial_dims();
  if (sd < 1 || sd > 3)
    throw std::invalid_argument(std::string(op) + ": input " + to_string(x.shape()) +
                                " must be [N,C,W], [N,C,H,W] or [N,C,D,H,W]");
  if (w.ndim() != x.ndim())
    throw std::invalid_argument(std::string(op) + ": weights " + to_string(w.shape()) +
                                " do not match input " + to_string(x.shape()));
  if (groups < 1 || x.dim(1) % groups != 0 || w.dim(0) % groups != 0)
    throw std::invalid_argument(std::string(op) + ": channels not divisible by groups " +
                                std::to_string(groups));
  if (w.dim(1) * groups != x.dim(1))
    throw std::invalid_argument(std::string(op) + ": weights " + to_string(w.shape()) + " expect " +
                                std::to_string(w.dim(1) * groups) + " input channels, input " +
                                to_string(x.shape()) + " has " + std::to_string(x.dim(1)));
  if (b.defined() && (b.ndim() != 1 || b.dim(0) != w.dim(0)))
    throw std::invalid_argument(std::string(op) + ": bias " + to_string(b.shape()) + " must be [" +
                                std::to_string(w.dim(0)) + "]");
  (void)transposed;
}

// Weights [Co, Ci/g, *K] seen by oneDNN as [g, Co/g, Ci/g, *K] when grouped (same bytes).
memory::dims weight_dims(const Shape& w, int64_t groups) {
  if (groups == 1) return w;
  memory::dims d = {groups, w[0] / groups};
  d.insert(d.end(), w.begin() + 1, w.end());
  return d;
}

Shape output_dims(const Shape& x, const Shape& w, const Geometry& g, bool transposed) {
  Shape out = {x[0], w[0]};
  for (size_t i = 2; i < x.size(); ++i) {
    const int64_t k = (w[i] - 1) * (g.dilate[i - 2] + 1) + 1;
    const int64_t s = g.stride[i - 2];
    const int64_t pads = g.pad_l[i - 2] + g.pad_r[i - 2];
    const int64_t o = transposed ? (x[i] - 1) * s - pads + k : (x[i] + pads - k) / s + 1;
    if (o < 1 || (!transposed && x[i] + pads < k))
      throw std::invalid_argument("convolution: input " + to_string(x) +
                                  " is smaller than kernel " + to_string(w) + " allows");
    out.push_back(o);
  }
  return out;
}

// The oneDNN types of one primitive family.
struct ConvFamily {
  using Fwd = dnnl::convolution_forward;
  using BwdData = dnnl::convolution_backward_data;
  using BwdWeights = dnnl::convolution_backward_weights;
  static constexpr dnnl::algorithm alg = dnnl::algorithm::convolution_direct;
  static constexpr bool transposed = false;
  static constexpr const char* name = "conv";
};

struct DeconvFamily {
  using Fwd = dnnl::deconvolution_forward;
  using BwdData = dnnl::deconvolution_backward_data;
  using BwdWeights = dnnl::deconvolution_backward_weights;
  static constexpr dnnl::algorithm alg = dnnl::algorithm::deconvolution_direct;
  static constexpr bool transposed = true;
  static constexpr const char* name = "conv_transpose";
};

// Everything that defines the primitives of one convolution call.
template <typename F>
struct Problem {
  Shape x, w, y;
  int64_t groups;
  bool has_bias;
  Geometry g;

  Problem(const Tensor& xt, const Tensor& wt, bool bias, const ConvParams& p)
      : x(xt.shape()),
        w(wt.shape()),
        groups(p.groups),
        has_bias(bias),
        g(geometry_of(p, xt.shape().size() - 2, F::transposed)) {
    y = output_dims(x, w, g, F::transposed);
  }

  du::Key key(const char* stage) const {
    du::Key k(F::name);
    k.add(int64_t{stage[0]}).add(x).add(w).add(groups).add(int64_t{has_bias});
    k.add(g.stride).add(g.dilate).add(g.pad_l).add(g.pad_r);
    return k;
  }

  memory::desc bias_md() const { return has_bias ? plain_desc({w[0]}) : memory::desc(); }

  // The forward primitive; backward re-fetches it as its hint.
  const du::Cached<typename F::Fwd>& forward() const {
    return du::cached<typename F::Fwd>(key("f"), [&] {
      typename F::Fwd::desc d(prop_kind::forward_training, F::alg, du::any_desc(x),
                              du::any_desc(weight_dims(w, groups)), bias_md(), du::any_desc(y),
                              g.stride, g.dilate, g.pad_l, g.pad_r);
      return typename F::Fwd::primitive_desc(d, du::default_attr(), du::engine());
    });
  }
};

template <typename F>
Tensor forward(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p) {
  check_operands(F::name, x, w, b, p.groups, F::transposed);
  const Problem<F> pr(x, w, b.defined(), p);
  const auto& e = pr.forward();
  Tensor src = x.to_layout(e.pd.src_desc());
  Tensor wts = w.reshape(weight_dims(w.shape(), p.groups)).to_layout(e.pd.weights_desc());
  Tensor y(e.pd.dst_desc());
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, src.memory()}, {DNNL_ARG_WEIGHTS, wts.memory()}, {DNNL_ARG_DST, y.memory()}};
  if (b.defined()) args.insert({DNNL_ARG_BIAS, b.memory()});
  du::execute(e, args);
  return y;
}

template <typename F>
Tensor backward_data(const Problem<F>& pr, const Tensor& w, const Tensor& dy) {
  const auto& e = du::cached<typename F::BwdData>(pr.key("d"), [&] {
    typename F::BwdData::desc d(F::alg, du::any_desc(pr.x),
                                du::any_desc(weight_dims(pr.w, pr.groups)), du::any_desc(pr.y),
                                pr.g.stride, pr.g.dilate, pr.g.pad_l, pr.g.pad_r);
    return
        typename F::BwdData::primitive_desc(d, du::default_attr(), du::engine(), pr.forward().pd);
  });
  Tensor ddst = dy.to_layout(e.pd.diff_dst_desc());
  Tensor wts = w.reshape(weight_dims(pr.w, pr.groups)).to_layout(e.pd.weights_desc());
  Tensor dx(e.pd.diff_src_desc());
  du::execute(e, {{DNNL_ARG_DIFF_DST, ddst.memory()},
                  {DNNL_ARG_WEIGHTS, wts.memory()},
                  {DNNL_ARG_DIFF_SRC, dx.memory()}});
  return dx;
}

template <typename F>
void backward_weights(const Problem<F>& pr, const Tensor& x, const Tensor& dy, ConvGrads& out) {
  const auto& e = du::cached<typename F::BwdWeights>(pr.key("w"), [&] {
    typename F::BwdWeights::desc d(
        F::alg, du::any_desc(pr.x), du::any_desc(weight_dims(pr.w, pr.groups)), pr.bias_md(),
        du::any_desc(pr.y), pr.g.stride, pr.g.dilate, pr.g.pad_l, pr.g.pad_r);
    return typename F::BwdWeights::primitive_desc(d, du::default_attr(), du::engine(),
                                                  pr.forward().pd);
  });
  Tensor src = x.to_layout(e.pd.src_desc());
  Tensor ddst = dy.to_layout(e.pd.diff_dst_desc());
  Tensor dw(e.pd.diff_weights_desc());
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src.memory()},
                                          {DNNL_ARG_DIFF_DST, ddst.memory()},
                                          {DNNL_ARG_DIFF_WEIGHTS, dw.memory()}};
  if (pr.has_bias) {
    out.db = Tensor::empty({pr.w[0]});
    args.insert({DNNL_ARG_DIFF_BIAS, out.db.memory()});
  }
  du::execute(e, args);
  out.dw = dw.to_plain().reshape(pr.w);
}

template <typename F>
ConvGrads backward(const Tensor& x, const Tensor& w, const Tensor& dy, const ConvParams& p,
                   bool has_bias, bool need_dx) {
  check_operands(F::name, x, w, Tensor(), p.groups, F::transposed);
  const Problem<F> pr(x, w, has_bias, p);
  if (dy.shape() != pr.y)
    throw std::invalid_argument(std::string(F::name) + " backward: gradient " +
                                to_string(dy.shape()) + " does not match output " +
                                to_string(pr.y));
  ConvGrads g;
  if (need_dx) g.dx = backward_data(pr, w, dy);
  backward_weights(pr, x, dy, g);
  return g;
}

}  // namespace

Shape conv_output_shape(const Shape& x, const Shape& w, const ConvParams& p) {
  return output_dims(x, w, geometry_of(p, x.size() - 2, false), false);
}

Shape conv_transpose_output_shape(const Shape& x, const Shape& w, const ConvParams& p) {
  return output_dims(x, w, geometry_of(p, x.size() - 2, true), true);
}

Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p) {
  return forward<ConvFamily>(x, w, b, p);
}

ConvGrads conv_backward(const Tensor& x, const Tensor& w, const Tensor& dy, const ConvParams& p,
                        bool has_bias, bool need_dx) {
  return backward<ConvFamily>(x, w, dy, p, has_bias, need_dx);
}

Tensor conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                              const ConvParams& p) {
  return forward<DeconvFamily>(x, w, b, p);
}

ConvGrads conv_transpose_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                  const ConvParams& p, bool has_bias, bool need_dx) {
  return backward<DeconvFamily>(x, w, dy, p, has_bias, need_dx);
}

// ---- linear (inner product), all plain: these layers are small ----

namespace {

// The three primitives of one layer, created together.
struct LinearEntry {
  du::Cached<dnnl::inner_product_forward> fwd;
  du::Cached<dnnl::inner_product_backward_data> bwd_data;
  du::Cached<dnnl::inner_product_backward_weights> bwd_weights;
};

const LinearEntry& linear_entry(int64_t n, int64_t f, int64_t o, bool bias) {
  static du::Cache<LinearEntry> cache;
  return cache.get(du::Key("linear").add(n).add(f).add(o).add(int64_t{bias}), [&] {
    const memory::desc x = plain_desc({n, f}), w = plain_desc({o, f}), y = plain_desc({n, o});
    const memory::desc b = bias ? plain_desc({o}) : memory::desc();
    dnnl::inner_product_forward::primitive_desc fwd({prop_kind::forward_training, x, w, b, y},
                                                    du::default_attr(), du::engine());
    dnnl::inner_product_backward_data::primitive_desc bd({x, w, y}, du::default_attr(),
                                                         du::engine(), fwd);
    dnnl::inner_product_backward_weights::primitive_desc bw({x, w, b, y}, du::default_attr(),
                                                            du::engine(), fwd);
    return LinearEntry{{fwd, dnnl::inner_product_forward(fwd)},
                       {bd, dnnl::inner_product_backward_data(bd)},
                       {bw, dnnl::inner_product_backward_weights(bw)}};
  });
}

Tensor flatten(const Tensor& x) {
  if (x.ndim() < 2)
    throw std::invalid_argument("linear: input " + to_string(x.shape()) + " needs a batch dim");
  return x.reshape({x.dim(0), x.numel() / x.dim(0)});
}

void check_linear(const Tensor& x2, const Tensor& w, bool bias, const Tensor& b) {
  if (w.ndim() != 2 || w.dim(1) != x2.dim(1))
    throw std::invalid_argument("linear: weights " + to_string(w.shape()) + " do not take " +
                                std::to_string(x2.dim(1)) + " input features");
  if (bias && b.defined() && b.shape() != Shape{w.dim(0)})
    throw std::invalid_argument("linear: bias " + to_string(b.shape()) + " must be [" +
                                std::to_string(w.dim(0)) + "]");
}

}  // namespace

Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  const Tensor x2 = flatten(x);
  check_linear(x2, w, b.defined(), b);
  const auto& e = linear_entry(x2.dim(0), x2.dim(1), w.dim(0), b.defined());
  Tensor y = Tensor::empty({x2.dim(0), w.dim(0)});
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, x2.memory()}, {DNNL_ARG_WEIGHTS, w.memory()}, {DNNL_ARG_DST, y.memory()}};
  if (b.defined()) args.insert({DNNL_ARG_BIAS, b.memory()});
  du::execute(e.fwd, args);
  return y;
}

ConvGrads linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy, bool has_bias,
                          bool need_dx) {
  const Tensor x2 = flatten(x);
  check_linear(x2, w, false, Tensor());
  if (dy.shape() != Shape{x2.dim(0), w.dim(0)})
    throw std::invalid_argument("linear backward: gradient " + to_string(dy.shape()) +
                                " does not match output [" + std::to_string(x2.dim(0)) + "," +
                                std::to_string(w.dim(0)) + "]");
  const auto& e = linear_entry(x2.dim(0), x2.dim(1), w.dim(0), has_bias);
  const Tensor g = dy.to_plain();
  ConvGrads out;
  if (need_dx) {
    Tensor dx = Tensor::empty(x2.shape());
    du::execute(e.bwd_data, {{DNNL_ARG_DIFF_DST, g.memory()},
                             {DNNL_ARG_WEIGHTS, w.memory()},
                             {DNNL_ARG_DIFF_SRC, dx.memory()}});
    out.dx = dx.reshape(x.shape());
  }
  out.dw = Tensor::empty(w.shape());
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, x2.memory()},
                                          {DNNL_ARG_DIFF_DST, g.memory()},
                                          {DNNL_ARG_DIFF_WEIGHTS, out.dw.memory()}};
  if (has_bias) {
    out.db = Tensor::empty({w.dim(0)});
    args.insert({DNNL_ARG_DIFF_BIAS, out.db.memory()});
  }
  du::execute(e.bwd_weights, args);
  return out;
}

}  // namespace tessera
