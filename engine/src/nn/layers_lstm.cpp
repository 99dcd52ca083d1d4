#include <cmath>
#include <stdexcept>

#include "layer_util.hpp"
#include "tessera/nn/init.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/shape_ops.hpp"

namespace tessera {
namespace {

using detail::add_param;
using detail::make_param;

// [N,C,T] <-> [T,N,C]: the network's layout and oneDNN's time-major one.
Tensor to_time_major(const Tensor& x) {
  return permute(x, {2, 0, 1});
}

Tensor from_time_major(const Tensor& y) {
  return permute(y, {1, 2, 0});
}

}  // namespace

Lstm::Lstm(const LstmOptions& o) : o_(o) {
  if (o.input_size < 1 || o.hidden_size < 1)
    throw std::invalid_argument("lstm: input and hidden sizes must be >= 1");
  w_input_ = make_param({1, 1, o.input_size, 4, o.hidden_size}, true);
  w_recurrent_ = make_param({1, 1, o.hidden_size, 4, o.hidden_size}, true);
  bias_ = make_param({1, 1, 4, o.hidden_size}, false);
  initialize(0);
}

nlohmann::json Lstm::config() const {
  return {{"type", type()},
          {"input_size", o_.input_size},
          {"hidden_size", o_.hidden_size},
          {"return_sequence", o_.return_sequence},
          {"forget_bias", o_.forget_bias}};
}

std::unique_ptr<Module> Lstm::from_config(const Settings& s) {
  s.only({"type", "input_size", "hidden_size", "return_sequence", "forget_bias"});
  return std::make_unique<Lstm>(LstmOptions{.input_size = s.require<int64_t>("input_size"),
                                            .hidden_size = s.require<int64_t>("hidden_size"),
                                            .return_sequence = s.get("return_sequence", false),
                                            .forget_bias = s.get("forget_bias", 0.f)});
}

void Lstm::collect_parameters(const std::string& prefix, std::vector<Param*>& out) {
  add_param(prefix, "w_input", w_input_, out);
  add_param(prefix, "w_recurrent", w_recurrent_, out);
  add_param(prefix, "bias", bias_, out);
}

void Lstm::initialize(uint64_t seed) {
  const float bound = 1.f / std::sqrt(static_cast<float>(o_.hidden_size));
  uniform_init(w_input_.value, bound, mix_seed(seed, 0));
  uniform_init(w_recurrent_.value, bound, mix_seed(seed, 1));
  bias_.value.fill(0.f);
  float* forget = bias_.value.data() + o_.hidden_size;  // gate 1 of (i, f, c, o)
  for (int64_t h = 0; h < o_.hidden_size; ++h) forget[h] = o_.forget_bias;
}

Tensor Lstm::forward_one(const Tensor& x, Mode mode) {
  if (x.ndim() != 3 || x.dim(1) != o_.input_size)
    throw std::invalid_argument("lstm: input " + to_string(x.shape()) + " must be [N," +
                                std::to_string(o_.input_size) + ",T]");
  const Tensor xt = to_time_major(x);
  LstmResult r = lstm_forward(xt, weights(), keeps_for_backward(mode));
  if (keeps_for_backward(mode)) x_ = xt, run_ = r;
  if (o_.return_sequence) return from_time_major(r.y);
  const int64_t t = xt.dim(0), n = xt.dim(1), h = o_.hidden_size;
  return crop(r.y, {t - 1, 0, 0}, {1, n, h}).reshape({n, h});
}

Tensor Lstm::backward_input(const Tensor& dy) {
  detail::require_saved(x_.defined(), type());
  Tensor dy_t;
  if (o_.return_sequence) {
    dy_t = to_time_major(dy);
  } else {
    // Only the last step's state is the output: every other step's gradient comes through it.
    const int64_t t = x_.dim(0), n = x_.dim(1), h = o_.hidden_size;
    if (dy.shape() != Shape{n, h})
      throw std::invalid_argument("lstm backward: gradient " + to_string(dy.shape()) +
                                  " does not match the output [" + std::to_string(n) + "," +
                                  std::to_string(h) + "]");
    dy_t = crop_backward(dy.reshape({1, n, h}), {t, n, h}, {t - 1, 0, 0});
  }
  LstmGrads g = lstm_backward(x_, run_, weights(), dy_t);
  w_input_.grad = g.d_input;
  w_recurrent_.grad = g.d_recurrent;
  bias_.grad = g.d_bias;
  clear_saved();
  return from_time_major(g.dx);
}

}  // namespace tessera
