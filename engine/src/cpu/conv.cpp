// Convolution and transposed convolution share one implementation, templated on the oneDNN
// primitive family; linear layers use inner product. Weights and biases stay plain (the
// optimizer updates them in place); activations keep whatever layout the primitive prefers.
#include <algorithm>
#include <string>

#include "../ops/conv_geometry.hpp"
#include "backend.hpp"
#include "dnnl_util.hpp"
#include "tessera/ops/shape_ops.hpp"

namespace tessera::cpu {

using dnnl::memory;
using dnnl::prop_kind;
namespace du = dnnl_util;

namespace {

// oneDNN's conventions: dilation 0 is dense.
struct Geometry {
  memory::dims stride, dilate, pad_l, pad_r;
};

Geometry dnnl_geometry(const ConvGeometry& g) {
  Geometry d{g.stride, {}, g.pad_begin, g.pad_end};
  for (int64_t v : g.dilation) d.dilate.push_back(v - 1);
  return d;
}

// Weights [Co, Ci/g, *K] seen by oneDNN as [g, Co/g, Ci/g, *K] when grouped (same bytes).
memory::dims weight_dims(const Shape& w, int64_t groups) {
  if (groups == 1) return w;
  memory::dims d = {groups, w[0] / groups};
  d.insert(d.end(), w.begin() + 1, w.end());
  return d;
}

// Channel counts that are not multiples of the vector width run oneDNN's channels-last kernels
// faster than its blocked ones, which pad each block of 16 (bench layers): in 3D from 8
// channels on (the coupling halves of 16, the connectomics U-Net's 8), in 2D only above 16 (28,
// 36), where 8 and 12 channels run their forward pass faster blocked. Multiples of 16 run
// faster blocked; a 2D stem's one to three input channels stay with oneDNN's own choice.
// AVX-512 holds 16 floats: oneDNN's blocked layouts group channels by 16.
constexpr int64_t kChannelBlock = 16;

bool off_the_block(int64_t in_channels, int64_t out_channels) {
  return in_channels % kChannelBlock != 0 || out_channels % kChannelBlock != 0;
}

bool prefers_channels_last(int64_t in_channels, int64_t out_channels, size_t spatial_dims) {
  // A 3D stem writes the layout its next layers read: blocked, with 8 channels padded to 16, its
  // forward pass is 0.4 ms faster but a reorder and a slower batch norm follow (3 ms of the
  // connectomics U-Net's 70 ms step).
  if (spatial_dims == 3 && in_channels < 4)
    return out_channels >= 8 && out_channels % kChannelBlock != 0;
  const int64_t fewest = std::min(in_channels, out_channels);
  return off_the_block(in_channels, out_channels) && fewest >= (spatial_dims == 3 ? 8 : 17);
}

// In 3D, activations that arrive channels-last stay so where the channels allow: a reorder at
// every join between 8- and 16-channel layers costs more than either layout saves (16-channel
// 3D couplings: 2x faster per step). In 2D the blocked kernels win at 16 and 32 channels.
bool keeps_channels_last(const Tensor& x, int64_t out_channels) {
  return x.ndim() == 5 && std::min(x.dim(1), out_channels) >= 8 && du::is_channels_last(x);
}

// bf16 halves the bytes a convolution's products read and doubles the rate of AVX512-BF16, but
// each call rounds its input and weights into bf16 copies first, and oneDNN's bf16 kernels for
// a few channels are slower than its float32 ones (bench layers --bf16: stems of 1-3 channels
// 1.5-6x slower in their weight gradient, 2D layers of 8 and 12 channels 1.2x slower). bf16 is
// used where it pays: 3D from 8 channels on, 2D from 16; narrower convolutions stay float32.
bool bf16_pays(int64_t in_channels, int64_t out_channels, size_t spatial_dims) {
  return std::min(in_channels, out_channels) >= (spatial_dims == 3 ? 8 : 16);
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
  bool channels_last = false;
  // What the primitives read (inputs, weights, output gradients) is in `compute`; what they
  // write (outputs, input and weight gradients) stays float32.
  memory::data_type compute = memory::data_type::f32;

  // The input gradient of a 2D convolution of 8 or 12 channels runs 1.5-3x faster channels-last
  // even with its operands reordered there, while its forward pass is faster blocked.
  bool data_channels_last() const {
    return channels_last ||
           (x.size() == 4 && std::min(x[1], y[1]) >= 8 && off_the_block(x[1], y[1]));
  }

  Problem(const Tensor& xt, const Tensor& wt, bool bias, const ConvParams& p)
      : x(xt.shape()), w(wt.shape()), groups(p.groups), has_bias(bias) {
    const ConvGeometry cg = conv_geometry(p, x.size() - 2, F::transposed);
    g = dnnl_geometry(cg);
    y = conv_output_dims(x, w, cg, F::transposed);
    channels_last =
        prefers_channels_last(x[1], y[1], x.size() - 2) || keeps_channels_last(xt, y[1]);
    if (p.compute == DataType::bf16 && bf16_pays(x[1], y[1], x.size() - 2))
      compute = memory::data_type::bf16;
  }

  du::Key key(const char* stage) const {
    du::Key k(F::name);
    k.add(int64_t{stage[0]}).add(x).add(w).add(groups).add(int64_t{has_bias});
    k.add(g.stride).add(g.dilate).add(g.pad_l).add(g.pad_r).add(int64_t{channels_last});
    k.add(int64_t(compute));
    return k;
  }

  // An operand the primitive reads, one it writes, and the weights it reads.
  memory::desc read_md(const Shape& dims, bool cl) const { return du::act_desc(dims, cl, compute); }
  memory::desc write_md(const Shape& dims, bool cl) const { return du::act_desc(dims, cl); }
  memory::desc weights_md() const { return du::any_desc(weight_dims(w, groups), compute); }

  memory::desc bias_md() const { return has_bias ? du::plain_desc({w[0]}) : memory::desc(); }

  // The forward primitive; backward re-fetches it as its hint.
  const du::Cached<typename F::Fwd>& forward() const {
    return du::cached<typename F::Fwd>(key("f"), [&] {
      typename F::Fwd::desc d(prop_kind::forward_training, F::alg, read_md(x, channels_last),
                              weights_md(), bias_md(), write_md(y, channels_last), g.stride,
                              g.dilate, g.pad_l, g.pad_r);
      return typename F::Fwd::primitive_desc(d, du::default_attr(), du::engine());
    });
  }
};

template <typename F>
Tensor forward(const Problem<F>& pr, const Tensor& x, const Tensor& w, const Tensor& b) {
  const auto& e = pr.forward();
  const du::Operand src = du::in_layout(x, e.pd.src_desc());
  const du::Operand wts =
      du::in_layout(w.reshape(weight_dims(w.shape(), pr.groups)), e.pd.weights_desc());
  Tensor y = du::make_tensor(e.pd.dst_desc());
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, src.memory}, {DNNL_ARG_WEIGHTS, wts.memory}, {DNNL_ARG_DST, du::memory_of(y)}};
  if (b.defined()) args.insert({DNNL_ARG_BIAS, du::memory_of(b)});
  du::execute(e, args);
  return y;
}

template <typename F>
Tensor backward_data(const Problem<F>& pr, const Tensor& w, const Tensor& dy) {
  const auto& e = du::cached<typename F::BwdData>(pr.key("d"), [&] {
    const bool cl = pr.data_channels_last();
    typename F::BwdData::desc d(F::alg, pr.write_md(pr.x, cl), pr.weights_md(),
                                pr.read_md(pr.y, cl), pr.g.stride, pr.g.dilate, pr.g.pad_l,
                                pr.g.pad_r);
    return
        typename F::BwdData::primitive_desc(d, du::default_attr(), du::engine(), pr.forward().pd);
  });
  const du::Operand ddst = du::in_layout(dy, e.pd.diff_dst_desc());
  const du::Operand wts =
      du::in_layout(w.reshape(weight_dims(pr.w, pr.groups)), e.pd.weights_desc());
  Tensor dx = du::make_tensor(e.pd.diff_src_desc());
  du::execute(e, {{DNNL_ARG_DIFF_DST, ddst.memory},
                  {DNNL_ARG_WEIGHTS, wts.memory},
                  {DNNL_ARG_DIFF_SRC, du::memory_of(dx)}});
  return dx;
}

template <typename F>
typename F::BwdWeights::primitive_desc weights_pd(const Problem<F>& pr) {
  typename F::BwdWeights::desc d(F::alg, pr.read_md(pr.x, pr.channels_last),
                                 du::any_desc(weight_dims(pr.w, pr.groups)), pr.bias_md(),
                                 pr.read_md(pr.y, pr.channels_last), pr.g.stride, pr.g.dilate,
                                 pr.g.pad_l, pr.g.pad_r);
  return
      typename F::BwdWeights::primitive_desc(d, du::default_attr(), du::engine(), pr.forward().pd);
}

template <typename F>
void backward_weights(const Problem<F>& pr, const Tensor& x, const Tensor& dy, ConvGrads& out) {
  const auto& e = du::cached<typename F::BwdWeights>(pr.key("w"), [&] { return weights_pd(pr); });
  const du::Operand src = du::in_layout(x, e.pd.src_desc());
  const du::Operand ddst = du::in_layout(dy, e.pd.diff_dst_desc());
  Tensor dw = du::make_tensor(e.pd.diff_weights_desc());
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src.memory},
                                          {DNNL_ARG_DIFF_DST, ddst.memory},
                                          {DNNL_ARG_DIFF_WEIGHTS, du::memory_of(dw)}};
  if (pr.has_bias) {
    out.db = Tensor::empty({pr.w[0]});
    args.insert({DNNL_ARG_DIFF_BIAS, du::memory_of(out.db)});
  }
  du::execute(e, args);
  out.dw = dw.to_plain().reshape(pr.w);
}

// The weight gradient of a convolution with a few channels (8, 12) has no direct oneDNN kernel
// on AVX-512: it falls back to gemm or AVX2 at a seventh of the machine's speed. With channels
// padded to the vector width by zeros it runs the direct kernel, and the zeros cost less than
// the fallback: the padded problem's gradient holds the true one in its first rows and columns.
int64_t padded(int64_t c) {
  return (c + kChannelBlock - 1) / kChannelBlock * kChannelBlock;
}

template <typename F>
bool pads_channels(const Problem<F>& pr) {
  if (F::transposed || pr.groups != 1 || pr.w[0] % kChannelBlock == 0) return false;
  const int64_t ci = pr.w[1], co = pr.w[0];
  const double zeros = double(padded(ci) * padded(co)) / double(ci * co);  // work padded / true
  if (ci < 4 || zeros > 4) return false;
  const auto& e = du::cached<typename F::BwdWeights>(pr.key("w"), [&] { return weights_pd(pr); });
  const std::string impl = e.pd.impl_info_str();
  // Measured on AVX-512 (bench layers): gemm and the reference path lose to four times the
  // work; AVX2's kernel only to less than twice.
  if (impl.find("gemm") != std::string::npos || impl.find("ref") != std::string::npos) return true;
  return impl.find("avx512") == std::string::npos && zeros < 2;
}

// `t` [N, C, *S] copied into channels 0..C-1 of a plain [N, c, *S] of zeros.
Tensor with_channels(const Tensor& t, int64_t c) {
  const Tensor plain = t.to_plain();
  Shape shape = plain.shape();
  const int64_t n = shape[0], c0 = shape[1], inner = plain.numel() / (n * c0);
  shape[1] = c;
  Tensor out = Tensor::zeros(shape);
  for (int64_t i = 0; i < n; ++i)
    std::copy_n(plain.data() + i * c0 * inner, c0 * inner, out.data() + i * c * inner);
  return out;
}

template <typename F>
void backward_weights_padded(const Tensor& x, const Tensor& dy, const ConvParams& p,
                             const Problem<F>& pr, ConvGrads& out) {
  const int64_t ci = pr.w[1], co = pr.w[0];
  Shape w = pr.w;
  w[0] = padded(co), w[1] = padded(ci);
  const Tensor xp = with_channels(x, w[1]), dyp = with_channels(dy, w[0]);
  const Problem<F> big(xp, Tensor::empty(w), pr.has_bias, p);
  ConvGrads g;
  backward_weights(big, xp, dyp, g);
  out.dw = Tensor::empty(pr.w);
  const int64_t k = out.dw.numel() / (co * ci);
  for (int64_t o = 0; o < co; ++o)
    std::copy_n(g.dw.data() + o * w[1] * k, ci * k, out.dw.data() + o * ci * k);
  if (pr.has_bias) {
    out.db = Tensor::empty({co});
    std::copy_n(g.db.to_plain().data(), co, out.db.data());
  }
}

template <typename F>
ConvGrads backward(const Problem<F>& pr, const Tensor& x, const Tensor& w, const Tensor& dy,
                   const ConvParams& p, bool need_dx) {
  ConvGrads g;
  if (need_dx) g.dx = backward_data(pr, w, dy);
  if (pads_channels(pr))
    backward_weights_padded(x, dy, p, pr, g);
  else
    backward_weights(pr, x, dy, g);
  return g;
}

// ---- transposed convolutions whose windows do not overlap ----
//
// With kernel == stride (the U-Nets' 2x upsampling) every output element comes from one input
// element: the transposed convolution is a 1x1 convolution to Co x K channels (K the window's
// size), whose channel k*Co + o then goes to position k of output o's window. oneDNN's 1x1
// kernels run near the machine's peak, its deconvolution kernels at 11-33% of it (bench layers);
// spreading the channels over the windows is one reorder, channels-last, of runs of Co floats
// (with o*K + k instead, runs of two floats, it cost more than the 1x1 convolution).

// The window of weights [Co, Ci, *K].
Shape kernel_of(const Shape& w) {
  return Shape(w.begin() + 2, w.end());
}

bool windows_do_not_overlap(const Problem<DeconvFamily>& pr, const ConvParams& p) {
  const Shape kernel = kernel_of(pr.w);
  if (kernel.size() < 2) return false;  // channels-last needs spatial dims
  for (int64_t d : pr.g.dilate)
    if (d != 0) return false;
  for (size_t i = 0; i < kernel.size(); ++i)
    if (pr.g.stride[i] != kernel[i] || pr.g.pad_l[i] != 0 || pr.g.pad_r[i] != 0) return false;
  return p.groups == 1;
}

// The transposed convolution's weights [Co, Ci, *K] as the 1x1 convolution's [K*Co, Ci, 1..].
Tensor window_weights(const Tensor& w) {
  const int64_t co = w.dim(0), ci = w.dim(1), k = w.numel() / (co * ci);
  Shape ones(w.shape().size(), 1);
  ones[0] = k * co, ones[1] = ci;
  return permute(w.reshape({co, ci, k}), {2, 0, 1}).reshape(ones);
}

// The 1x1 convolution's weight gradient [K*Co, Ci, 1..] back as [Co, Ci, *K].
Tensor unwindow_weights(const Tensor& dw1, const Shape& w) {
  const int64_t co = w[0], ci = w[1], k = dw1.dim(0) / co;
  return permute(dw1.reshape({k, co, ci}), {1, 2, 0}).reshape(w);
}

// The 1x1 convolution's settings, and its problem: channels-last, the one layout in which a
// window's K channels and its K output positions are both plain strides.
ConvParams window_params(const ConvParams& p) {
  return {.compute = p.compute};
}

Problem<ConvFamily> window_problem(const Tensor& x, const Tensor& w1, bool bias,
                                   const ConvParams& p) {
  Problem<ConvFamily> pr(x, w1, bias, window_params(p));
  pr.channels_last = true;
  return pr;
}

// One view of the 1x1 convolution's channels-last output [N, *S, K*Co] and one of the transposed
// convolution's channels-last output [N, *(S*k), Co], both with dims [N, Co, S0, k0, S1, k1, ..].
struct WindowViews {
  memory::desc windows, image;
};

WindowViews window_views(const Shape& small, int64_t co, const Shape& kernel) {
  const size_t sd = kernel.size();
  int64_t k_all = 1, s_all = 1;
  for (size_t i = 0; i < sd; ++i) k_all *= kernel[i], s_all *= small[2 + i];
  memory::dims dims = {small[0], co}, win = {s_all * co * k_all, 1}, img = {0, 1};
  int64_t win_inner = co * k_all, k_inner = co, img_inner = co;
  std::vector<int64_t> win_s(2 * sd), img_s(2 * sd);
  for (size_t i = sd; i-- > 0;) {
    win_s[2 * i] = win_inner, win_s[2 * i + 1] = k_inner;
    win_inner *= small[2 + i], k_inner *= kernel[i];
    img_s[2 * i + 1] = img_inner, img_s[2 * i] = img_inner * kernel[i];
    img_inner *= small[2 + i] * kernel[i];
  }
  img[0] = img_inner;
  for (size_t i = 0; i < sd; ++i) {
    dims.push_back(small[2 + i]), dims.push_back(kernel[i]);
    win.push_back(win_s[2 * i]), win.push_back(win_s[2 * i + 1]);
    img.push_back(img_s[2 * i]), img.push_back(img_s[2 * i + 1]);
  }
  return {memory::desc(dims, memory::data_type::f32, win),
          memory::desc(dims, memory::data_type::f32, img)};
}

// `y_dims`: the transposed convolution's output dims.
Tensor window_forward(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p,
                      const Shape& y_dims) {
  const Tensor w1 = window_weights(w);
  const int64_t co = w.dim(0), k = w1.dim(0) / co;
  Tensor b1;
  if (b.defined()) {
    const Tensor plain = b.to_plain();
    b1 = Tensor::empty({co * k});
    for (int64_t i = 0; i < co * k; ++i) b1.data()[i] = plain.data()[i % co];
  }
  const Problem<ConvFamily> pr = window_problem(x, w1, b.defined(), p);
  const Tensor y1 = forward(pr, x, w1, b1);
  const WindowViews v = window_views(y1.shape(), co, kernel_of(w.shape()));
  Tensor y = du::make_tensor(du::act_desc(y_dims, true));
  du::reorder(memory(v.windows, du::engine(), du::memory_of(y1).get_data_handle()),
              memory(v.image, du::engine(), du::memory_of(y).get_data_handle()));
  return y;
}

ConvGrads window_backward(const Tensor& x, const Tensor& w, const Tensor& dy, const ConvParams& p,
                          bool has_bias, bool need_dx) {
  const Tensor w1 = window_weights(w);
  const int64_t co = w.dim(0), k = w1.dim(0) / co;
  Shape small = x.shape();
  small[1] = co * k;
  const WindowViews v = window_views(small, co, kernel_of(w.shape()));
  const du::Operand image = du::in_layout(dy, du::act_desc(dy.shape(), true));
  Tensor dy1 = du::make_tensor(du::act_desc(small, true));
  du::reorder(memory(v.image, du::engine(), image.memory.get_data_handle()),
              memory(v.windows, du::engine(), du::memory_of(dy1).get_data_handle()));
  const Problem<ConvFamily> pr = window_problem(x, w1, has_bias, p);
  ConvGrads g = backward(pr, x, w1, dy1, window_params(p), need_dx);
  g.dw = unwindow_weights(g.dw, w.shape());
  if (has_bias) {
    const Tensor db1 = g.db.to_plain();
    g.db = Tensor::zeros({co});
    for (int64_t i = 0; i < co * k; ++i) g.db.data()[i % co] += db1.data()[i];
  }
  return g;
}

}  // namespace

Tensor CpuBackend::conv_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                const ConvParams& p) {
  return forward(Problem<ConvFamily>(x, w, b.defined(), p), x, w, b);
}

ConvGrads CpuBackend::conv_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                    const ConvParams& p, bool has_bias, bool need_dx) {
  return backward(Problem<ConvFamily>(x, w, has_bias, p), x, w, dy, p, need_dx);
}

Tensor CpuBackend::conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                          const ConvParams& p) {
  const Problem<DeconvFamily> pr(x, w, b.defined(), p);
  if (windows_do_not_overlap(pr, p)) return window_forward(x, w, b, p, pr.y);
  return forward(pr, x, w, b);
}

ConvGrads CpuBackend::conv_transpose_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                              const ConvParams& p, bool has_bias, bool need_dx) {
  const Problem<DeconvFamily> pr(x, w, has_bias, p);
  if (windows_do_not_overlap(pr, p)) return window_backward(x, w, dy, p, has_bias, need_dx);
  return backward(pr, x, w, dy, p, need_dx);
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
    const memory::desc x = du::plain_desc({n, f}), w = du::plain_desc({o, f}),
                       y = du::plain_desc({n, o});
    const memory::desc b = bias ? du::plain_desc({o}) : memory::desc();
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

}  // namespace

Tensor CpuBackend::linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  const auto& e = linear_entry(x.dim(0), x.dim(1), w.dim(0), b.defined());
  Tensor y = Tensor::empty({x.dim(0), w.dim(0)});
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, du::memory_of(x)},
                                          {DNNL_ARG_WEIGHTS, du::memory_of(w)},
                                          {DNNL_ARG_DST, du::memory_of(y)}};
  if (b.defined()) args.insert({DNNL_ARG_BIAS, du::memory_of(b)});
  du::execute(e.fwd, args);
  return y;
}

ConvGrads CpuBackend::linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                      bool has_bias, bool need_dx) {
  const auto& e = linear_entry(x.dim(0), x.dim(1), w.dim(0), has_bias);
  ConvGrads out;
  if (need_dx) {
    out.dx = Tensor::empty(x.shape());
    du::execute(e.bwd_data, {{DNNL_ARG_DIFF_DST, du::memory_of(dy)},
                             {DNNL_ARG_WEIGHTS, du::memory_of(w)},
                             {DNNL_ARG_DIFF_SRC, du::memory_of(out.dx)}});
  }
  out.dw = Tensor::empty(w.shape());
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, du::memory_of(x)},
                                          {DNNL_ARG_DIFF_DST, du::memory_of(dy)},
                                          {DNNL_ARG_DIFF_WEIGHTS, du::memory_of(out.dw)}};
  if (has_bias) {
    out.db = Tensor::empty({w.dim(0)});
    args.insert({DNNL_ARG_DIFF_BIAS, du::memory_of(out.db)});
  }
  du::execute(e.bwd_weights, args);
  return out;
}

}  // namespace tessera::cpu
