// Layers without parameters: activations, dropout, softmax, flatten, and the multi-input
// joins (add, multiply, concat, centre crop).
#include <stdexcept>

#include "layer_util.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/dropout.hpp"
#include "tessera/ops/elementwise.hpp"
#include "tessera/ops/shape_ops.hpp"
#include "tessera/ops/softmax.hpp"

namespace tessera {

using detail::require_saved;

// ---- Act ----

nlohmann::json Act::config() const {
  return {{"type", type()}, {"kind", to_string(kind_)}, {"alpha", alpha_}};
}

std::unique_ptr<Module> Act::from_config(const Settings& s) {
  s.only({"type", "kind", "alpha"});
  return std::make_unique<Act>(activation_from_string(s.require<std::string>("kind")),
                               s.get("alpha", 0.f));
}

std::unique_ptr<Act> block_activation(Activation a) {
  return std::make_unique<Act>(a, a == Activation::elu ? 1.f : 0.f);
}

Tensor Act::forward_one(const Tensor& x, Mode mode) {
  Tensor y = activation_forward(x, kind_, alpha_);
  if (keeps_for_backward(mode)) {
    if (activation_backward_uses_output(kind_, alpha_))
      y_ = y;
    else
      x_ = x;
  }
  return y;
}

Tensor Act::backward_input(const Tensor& dy) {
  require_saved(x_.defined() || y_.defined() || kind_ == Activation::identity, type());
  Tensor dx = activation_backward(x_, y_, dy, kind_, alpha_);
  clear_saved();
  return dx;
}

// ---- Dropout ----

Dropout::Dropout(float p, uint64_t seed, uint64_t calls) : p_(p), seed_(seed), calls_(calls) {
  if (!(p >= 0.f && p < 1.f)) throw std::invalid_argument("dropout: p must be in [0, 1)");
}

nlohmann::json Dropout::config() const {
  return {{"type", type()}, {"p", p_}, {"seed", seed_}, {"calls", calls_}};
}

std::unique_ptr<Module> Dropout::from_config(const Settings& s) {
  s.only({"type", "p", "seed", "calls"});
  return std::make_unique<Dropout>(s.require<float>("p"), s.require<uint64_t>("seed"),
                                   s.get<uint64_t>("calls", 0));
}

Tensor Dropout::forward_one(const Tensor& x, Mode mode) {
  if (mode == Mode::eval || p_ == 0.f) return x;
  if (mode == Mode::recompute && calls_ == 0)
    throw std::logic_error("dropout: recompute without a train-mode forward before it");
  // A recompute draws the mask of the last train-mode call again.
  if (mode == Mode::train) ++calls_;
  DropoutResult r = dropout_forward(x, p_, seed_ + 0x9E3779B97F4A7C15ull * calls_);
  mask_ = r.mask;
  return r.y;
}

Tensor Dropout::backward_input(const Tensor& dy) {
  if (p_ == 0.f) return dy;
  require_saved(mask_.defined(), type());
  Tensor dx = dropout_backward(dy, mask_);
  mask_ = Tensor();
  return dx;
}

// ---- Softmax ----

nlohmann::json Softmax::config() const {
  return {{"type", type()}, {"axis", axis_}};
}

std::unique_ptr<Module> Softmax::from_config(const Settings& s) {
  s.only({"type", "axis"});
  return std::make_unique<Softmax>(s.get("axis", 1));
}

Tensor Softmax::forward_one(const Tensor& x, Mode mode) {
  Tensor y = softmax_forward(x, axis_);
  if (keeps_for_backward(mode)) y_ = y;
  return y;
}

Tensor Softmax::backward_input(const Tensor& dy) {
  require_saved(y_.defined(), type());
  Tensor dx = softmax_backward(y_, dy, axis_);
  y_ = Tensor();
  return dx;
}

// ---- Flatten ----

nlohmann::json Flatten::config() const {
  return {{"type", type()}};
}

std::unique_ptr<Module> Flatten::from_config(const Settings& s) {
  s.only({"type"});
  return std::make_unique<Flatten>();
}

Tensor Flatten::forward_one(const Tensor& x, Mode) {
  x_shape_ = x.shape();
  return x.reshape({x.dim(0), x.numel() / x.dim(0)});
}

Tensor Flatten::backward_input(const Tensor& dy) {
  return dy.reshape(x_shape_);
}

// ---- Add / Multiply ----

nlohmann::json Add::config() const {
  return {{"type", type()}};
}

std::unique_ptr<Module> Add::from_config(const Settings& s) {
  s.only({"type"});
  return std::make_unique<Add>();
}

nlohmann::json Multiply::config() const {
  return {{"type", type()}};
}

std::unique_ptr<Module> Multiply::from_config(const Settings& s) {
  s.only({"type"});
  return std::make_unique<Multiply>();
}

namespace {
void check_pair(const std::vector<Tensor>& xs, const std::string& type) {
  if (xs.size() != 2)
    throw std::invalid_argument(type + ": takes two inputs, got " + std::to_string(xs.size()));
  if (xs[0].shape() != xs[1].shape())
    throw std::invalid_argument(type + ": input shapes differ: " + to_string(xs[0].shape()) +
                                " and " + to_string(xs[1].shape()));
}
}  // namespace

Tensor Add::run_forward(const std::vector<Tensor>& xs, Mode) {
  check_pair(xs, type());
  return add(xs[0], xs[1]);
}

std::vector<Tensor> Add::run_backward(const Tensor& dy) {
  return {dy, dy};
}

Tensor Multiply::run_forward(const std::vector<Tensor>& xs, Mode mode) {
  check_pair(xs, type());
  if (keeps_for_backward(mode)) {
    a_ = xs[0];
    b_ = xs[1];
  }
  return multiply(xs[0], xs[1]);
}

std::vector<Tensor> Multiply::run_backward(const Tensor& dy) {
  require_saved(a_.defined(), type());
  std::vector<Tensor> g = {multiply(dy, b_), multiply(dy, a_)};
  clear_saved();
  return g;
}

// ---- Concat ----

nlohmann::json Concat::config() const {
  return {{"type", type()}, {"axis", axis_}};
}

std::unique_ptr<Module> Concat::from_config(const Settings& s) {
  s.only({"type", "axis"});
  return std::make_unique<Concat>(s.get("axis", 1));
}

Tensor Concat::run_forward(const std::vector<Tensor>& xs, Mode) {
  sizes_.clear();
  for (const Tensor& x : xs) sizes_.push_back(x.dim(axis_));
  return concat(xs, axis_);
}

std::vector<Tensor> Concat::run_backward(const Tensor& dy) {
  require_saved(!sizes_.empty(), type());
  return concat_backward(dy, sizes_, axis_);
}

// ---- CenterCrop ----

nlohmann::json CenterCrop::config() const {
  return {{"type", type()}};
}

std::unique_ptr<Module> CenterCrop::from_config(const Settings& s) {
  s.only({"type"});
  return std::make_unique<CenterCrop>();
}

Tensor CenterCrop::run_forward(const std::vector<Tensor>& xs, Mode) {
  if (xs.size() != 2 || xs[0].ndim() != xs[1].ndim())
    throw std::invalid_argument("center_crop: takes (x, reference) of the same rank");
  x_shape_ = xs[0].shape();
  ref_shape_ = xs[1].shape();
  Shape out = x_shape_;
  offsets_.assign(x_shape_.size(), 0);
  for (size_t i = 2; i < out.size(); ++i) {
    const int64_t extra = x_shape_[i] - ref_shape_[i];
    if (extra < 0)
      throw std::invalid_argument("center_crop: input " + to_string(x_shape_) +
                                  " is smaller than reference " + to_string(ref_shape_));
    out[i] = ref_shape_[i];
    offsets_[i] = extra / 2;
  }
  return crop(xs[0], offsets_, out);
}

std::vector<Tensor> CenterCrop::run_backward(const Tensor& dy) {
  require_saved(!x_shape_.empty(), type());
  // The reference only lends its shape: a zero gradient keeps the graph's bookkeeping simple.
  return {crop_backward(dy, x_shape_, offsets_), Tensor()};
}

}  // namespace tessera
