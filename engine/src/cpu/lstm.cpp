#include "tessera/ops/lstm.hpp"

#include <stdexcept>
#include <string>

#include "tessera/ops/dnnl_util.hpp"

namespace tessera {
namespace {

using dnnl::memory;
namespace du = tessera::dnnl_util;
using tag = memory::format_tag;

struct Sizes {
  int64_t steps, batch, in, hidden;
};

Sizes check_lstm(const Tensor& x, const LstmWeights& w) {
  if (!x.defined() || x.ndim() != 3)
    throw std::invalid_argument("lstm: input must be [T,N,C], got " +
                                (x.defined() ? to_string(x.shape()) : std::string("nothing")));
  const Sizes s{x.dim(0), x.dim(1), x.dim(2), w.recurrent.defined() ? w.recurrent.dim(2) : 0};
  const Shape in{1, 1, s.in, 4, s.hidden}, rec{1, 1, s.hidden, 4, s.hidden}, b{1, 1, 4, s.hidden};
  if (!w.input.defined() || !w.bias.defined() || w.input.shape() != in ||
      w.recurrent.shape() != rec || w.bias.shape() != b)
    throw std::invalid_argument("lstm: weights do not fit input " + to_string(x.shape()) +
                                ": want " + to_string(in) + ", " + to_string(rec) + ", " +
                                to_string(b));
  return s;
}

memory::desc desc_of(const Shape& dims, tag t) {
  return memory::desc(dims, memory::data_type::f32, t);
}

// Descriptors of one problem size; weights take format_tag::any so oneDNN picks its layouts.
struct Descs {
  memory::desc src, dst, w_input, w_recurrent, bias, state, none;
};

Descs descs_of(const Sizes& s, bool any_weights) {
  const tag wt = any_weights ? tag::any : tag::ldigo;
  return {desc_of({s.steps, s.batch, s.in}, tag::tnc),
          desc_of({s.steps, s.batch, s.hidden}, tag::tnc),
          desc_of({1, 1, s.in, 4, s.hidden}, wt),
          desc_of({1, 1, s.hidden, 4, s.hidden}, wt),
          desc_of({1, 1, 4, s.hidden}, tag::ldgo),
          desc_of({1, 1, s.batch, s.hidden}, tag::ldnc),
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

LstmResult lstm_forward(const Tensor& x, const LstmWeights& w, bool training) {
  const Sizes s = check_lstm(x, w);
  const auto& e = forward_entry(s, training);
  const Tensor wi = w.input.to_layout(e.pd.weights_layer_desc());
  const Tensor wr = w.recurrent.to_layout(e.pd.weights_iter_desc());
  LstmResult r;
  r.y = Tensor::empty({s.steps, s.batch, s.hidden});
  // The zero initial state is passed explicitly: oneDNN 2.6's backward, given none, reads an
  // uninitialised one (the recurrent weights' gradient came out wrong).
  const Tensor zero_state = Tensor::zeros({1, 1, s.batch, s.hidden});
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC_LAYER, x.to_plain().memory()}, {DNNL_ARG_SRC_ITER, zero_state.memory()},
      {DNNL_ARG_SRC_ITER_C, zero_state.memory()},  {DNNL_ARG_WEIGHTS_LAYER, wi.memory()},
      {DNNL_ARG_WEIGHTS_ITER, wr.memory()},        {DNNL_ARG_BIAS, w.bias.memory()},
      {DNNL_ARG_DST_LAYER, r.y.memory()}};
  if (training) {
    r.workspace = Tensor(e.pd.workspace_desc());
    args.insert({DNNL_ARG_WORKSPACE, r.workspace.memory()});
  }
  du::execute(e, std::move(args));
  return r;
}

LstmGrads lstm_backward(const Tensor& x, const LstmResult& forward, const LstmWeights& w,
                        const Tensor& dy) {
  const Sizes s = check_lstm(x, w);
  if (!forward.workspace.defined())
    throw std::invalid_argument("lstm backward: needs the result of a training forward");
  if (!dy.defined() || dy.shape() != forward.y.shape())
    throw std::invalid_argument("lstm backward: gradient does not match the output " +
                                to_string(forward.y.shape()));
  const auto& e = backward_entry(s);
  const Tensor wi = w.input.to_layout(e.pd.weights_layer_desc());
  const Tensor wr = w.recurrent.to_layout(e.pd.weights_iter_desc());
  LstmGrads g;
  g.dx = Tensor::empty(x.shape());
  // oneDNN adds into the weight gradients, so they start at zero.
  Tensor dwi = Tensor::zeros_like(e.pd.diff_weights_layer_desc());
  Tensor dwr = Tensor::zeros_like(e.pd.diff_weights_iter_desc());
  g.d_bias = Tensor::zeros(w.bias.shape());
  const Tensor zero_state = Tensor::zeros({1, 1, s.batch, s.hidden});
  Tensor d_state = Tensor::empty(zero_state.shape()), d_cell = Tensor::empty(zero_state.shape());
  du::execute(e, {{DNNL_ARG_SRC_LAYER, x.to_plain().memory()},
                  {DNNL_ARG_SRC_ITER, zero_state.memory()},
                  {DNNL_ARG_SRC_ITER_C, zero_state.memory()},
                  {DNNL_ARG_DIFF_SRC_ITER, d_state.memory()},
                  {DNNL_ARG_DIFF_SRC_ITER_C, d_cell.memory()},
                  {DNNL_ARG_WEIGHTS_LAYER, wi.memory()},
                  {DNNL_ARG_WEIGHTS_ITER, wr.memory()},
                  {DNNL_ARG_BIAS, w.bias.memory()},
                  {DNNL_ARG_DST_LAYER, forward.y.memory()},
                  {DNNL_ARG_DIFF_DST_LAYER, dy.to_plain().memory()},
                  {DNNL_ARG_WORKSPACE, forward.workspace.memory()},
                  {DNNL_ARG_DIFF_SRC_LAYER, g.dx.memory()},
                  {DNNL_ARG_DIFF_WEIGHTS_LAYER, dwi.memory()},
                  {DNNL_ARG_DIFF_WEIGHTS_ITER, dwr.memory()},
                  {DNNL_ARG_DIFF_BIAS, g.d_bias.memory()}});
  g.d_input = dwi.to_plain();
  g.d_recurrent = dwr.to_plain();
  return g;
}

}  // namespace tessera
