// One LSTM layer on oneDNN's RNN primitives; the weights take whatever layout they prefer.
#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {
namespace {

using dnnl::memory;
namespace du = tessera::dnnl_util;
using tag = memory::format_tag;

struct Sizes {
  int64_t steps, batch, in, hidden;
};

Sizes sizes_of(const Tensor& x, const LstmWeights& w) {
  return {x.dim(0), x.dim(1), x.dim(2), w.recurrent.dim(2)};
}

memory::desc tagged(const Shape& dims, tag t) {
  return memory::desc(dims, memory::data_type::f32, t);
}

// Descriptors of one problem size; weights take format_tag::any so oneDNN picks its layouts.
struct Descs {
  memory::desc src, dst, w_input, w_recurrent, bias, state, none;
};

Descs descs_of(const Sizes& s, bool any_weights) {
  const tag wt = any_weights ? tag::any : tag::ldigo;
  return {tagged({s.steps, s.batch, s.in}, tag::tnc),
          tagged({s.steps, s.batch, s.hidden}, tag::tnc),
          tagged({1, 1, s.in, 4, s.hidden}, wt),
          tagged({1, 1, s.hidden, 4, s.hidden}, wt),
          tagged({1, 1, 4, s.hidden}, tag::ldgo),
          tagged({1, 1, s.batch, s.hidden}, tag::ldnc),
          memory::desc()};
}

du::Key lstm_key(const char* op, const Sizes& s) {
  du::Key key(op);
  key.add(s.steps).add(s.batch).add(s.in).add(s.hidden);
  return key;
}

const du::Cached<dnnl::lstm_forward>& forward_entry(const Sizes& s, bool training) {
  du::Key key = lstm_key("lstm_fwd", s);
  key.add(int64_t(training));
  return du::cached<dnnl::lstm_forward>(key, [&] {
    const Descs d = descs_of(s, true);
    const auto prop =
        training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    dnnl::lstm_forward::desc desc(prop, dnnl::rnn_direction::unidirectional_left2right, d.src,
                                  d.state, d.state, d.w_input, d.w_recurrent, d.bias, d.dst, d.none,
                                  d.none);
    return dnnl::lstm_forward::primitive_desc(desc, du::default_attr(), du::engine());
  });
}

const du::Cached<dnnl::lstm_backward>& backward_entry(const Sizes& s) {
  return du::cached<dnnl::lstm_backward>(lstm_key("lstm_bwd", s), [&] {
    const auto& fwd = forward_entry(s, true);
    const Descs d = descs_of(s, true);
    dnnl::lstm_backward::desc desc(
        dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right, d.src, d.state,
        d.state, d.w_input, d.w_recurrent, d.bias, d.dst, d.none, d.none, d.src, d.state, d.state,
        d.w_input, d.w_recurrent, d.bias, d.dst, d.none, d.none);
    return dnnl::lstm_backward::primitive_desc(desc, du::default_attr(), du::engine(), fwd.pd);
  });
}

}  // namespace

LstmResult CpuBackend::lstm_forward(const Tensor& x, const LstmWeights& w, bool training) {
  const Sizes s = sizes_of(x, w);
  const auto& e = forward_entry(s, training);
  const du::Operand wi = du::in_layout(w.input, e.pd.weights_layer_desc());
  const du::Operand wr = du::in_layout(w.recurrent, e.pd.weights_iter_desc());
  LstmResult r;
  r.y = Tensor::empty({s.steps, s.batch, s.hidden});
  // The zero initial state is passed explicitly: oneDNN 2.6's backward, given none, reads an
  // uninitialised one (the recurrent weights' gradient came out wrong).
  const Tensor zero_state = Tensor::zeros({1, 1, s.batch, s.hidden});
  const Tensor src = x.to_plain();
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC_LAYER, du::memory_of(src)},
                                       {DNNL_ARG_SRC_ITER, du::memory_of(zero_state)},
                                       {DNNL_ARG_SRC_ITER_C, du::memory_of(zero_state)},
                                       {DNNL_ARG_WEIGHTS_LAYER, wi.memory},
                                       {DNNL_ARG_WEIGHTS_ITER, wr.memory},
                                       {DNNL_ARG_BIAS, du::memory_of(w.bias)},
                                       {DNNL_ARG_DST_LAYER, du::memory_of(r.y)}};
  if (training) {
    r.workspace = du::make_tensor(e.pd.workspace_desc());
    args.insert({DNNL_ARG_WORKSPACE, du::memory_of(r.workspace)});
  }
  du::execute(e, std::move(args));
  return r;
}

LstmGrads CpuBackend::lstm_backward(const Tensor& x, const LstmResult& forward,
                                    const LstmWeights& w, const Tensor& dy) {
  const Sizes s = sizes_of(x, w);
  const auto& e = backward_entry(s);
  const du::Operand wi = du::in_layout(w.input, e.pd.weights_layer_desc());
  const du::Operand wr = du::in_layout(w.recurrent, e.pd.weights_iter_desc());
  LstmGrads g;
  g.dx = Tensor::empty(x.shape());
  // oneDNN adds into the weight gradients, so they start at zero.
  Tensor dwi = du::make_zeros(e.pd.diff_weights_layer_desc());
  Tensor dwr = du::make_zeros(e.pd.diff_weights_iter_desc());
  g.d_bias = Tensor::zeros(w.bias.shape());
  const Tensor zero_state = Tensor::zeros({1, 1, s.batch, s.hidden});
  Tensor d_state = Tensor::empty(zero_state.shape()), d_cell = Tensor::empty(zero_state.shape());
  const Tensor src = x.to_plain(), ddst = dy.to_plain();
  du::execute(e, {{DNNL_ARG_SRC_LAYER, du::memory_of(src)},
                  {DNNL_ARG_SRC_ITER, du::memory_of(zero_state)},
                  {DNNL_ARG_SRC_ITER_C, du::memory_of(zero_state)},
                  {DNNL_ARG_DIFF_SRC_ITER, du::memory_of(d_state)},
                  {DNNL_ARG_DIFF_SRC_ITER_C, du::memory_of(d_cell)},
                  {DNNL_ARG_WEIGHTS_LAYER, wi.memory},
                  {DNNL_ARG_WEIGHTS_ITER, wr.memory},
                  {DNNL_ARG_BIAS, du::memory_of(w.bias)},
                  {DNNL_ARG_DST_LAYER, du::memory_of(forward.y)},
                  {DNNL_ARG_DIFF_DST_LAYER, du::memory_of(ddst)},
                  {DNNL_ARG_WORKSPACE, du::memory_of(forward.workspace)},
                  {DNNL_ARG_DIFF_SRC_LAYER, du::memory_of(g.dx)},
                  {DNNL_ARG_DIFF_WEIGHTS_LAYER, du::memory_of(dwi)},
                  {DNNL_ARG_DIFF_WEIGHTS_ITER, du::memory_of(dwr)},
                  {DNNL_ARG_DIFF_BIAS, du::memory_of(g.d_bias)}});
  g.d_input = dwi.to_plain();
  g.d_recurrent = dwr.to_plain();
  return g;
}

}  // namespace tessera::cpu
