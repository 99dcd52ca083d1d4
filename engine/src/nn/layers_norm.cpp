// Normalization layers: batch norm (running statistics) and group norm.
#include <stdexcept>

#include "layer_util.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/elementwise.hpp"
#include "tessera/ops/norm.hpp"

namespace tessera {

using detail::add_param;
using detail::make_param;
using detail::require_saved;

namespace {
void check_channels(const Tensor& x, int64_t channels, const std::string& type) {
  if (x.ndim() < 3 || x.dim(1) != channels)
    throw std::invalid_argument(type + ": input " + to_string(x.shape()) + " must have " +
                                std::to_string(channels) + " channels");
}
}  // namespace

// ---- BatchNorm ----

BatchNorm::BatchNorm(const BatchNormOptions& o) : o_(o) {
  if (o.channels < 1) throw std::invalid_argument("batch_norm: channels must be >= 1");
  gamma_ = make_param({o.channels}, false);
  beta_ = make_param({o.channels}, false);
  running_mean_ = Tensor::zeros({o.channels});
  running_var_ = Tensor::full({o.channels}, 1.f);
  initialize(0);
}

nlohmann::json BatchNorm::config() const {
  nlohmann::json j = {
      {"type", type()}, {"channels", o_.channels}, {"eps", o_.eps}, {"momentum", o_.momentum}};
  if (o_.relu) j["relu"] = true;  // models saved before the fused ReLU read the same
  return j;
}

std::unique_ptr<Module> BatchNorm::from_config(const Settings& s) {
  s.only({"type", "channels", "eps", "momentum", "relu"});
  return std::make_unique<BatchNorm>(BatchNormOptions{.channels = s.require<int64_t>("channels"),
                                                      .eps = s.get("eps", 1e-5f),
                                                      .momentum = s.get("momentum", 0.1f),
                                                      .relu = s.get("relu", false)});
}

void BatchNorm::collect_parameters(const std::string& prefix, std::vector<Param*>& out) {
  add_param(prefix, "gamma", gamma_, out);
  add_param(prefix, "beta", beta_, out);
}

void BatchNorm::collect_buffers(const std::string& prefix,
                                std::vector<std::pair<std::string, Tensor*>>& out) {
  out.push_back({prefix + "running_mean", &running_mean_});
  out.push_back({prefix + "running_var", &running_var_});
}

void BatchNorm::initialize(uint64_t) {
  gamma_.value.fill(1.f);
  beta_.value.fill(0.f);
}

Tensor BatchNorm::forward_one(const Tensor& x, Mode mode) {
  check_channels(x, o_.channels, type());
  if (mode == Mode::eval)
    return batch_norm_forward_infer(x, gamma_.value, beta_.value, running_mean_, running_var_,
                                    o_.eps, o_.relu);
  x_ = x;
  if (mode == Mode::recompute) {
    require_saved(batch_mean_.defined(), type() + " recompute");
    NormStats s = batch_norm_forward_replay(x, gamma_.value, beta_.value, batch_mean_, batch_var_,
                                            o_.eps, o_.relu);
    relu_mask_ = s.relu_mask;
    return s.y;
  }
  NormStats s = batch_norm_forward_train(x, gamma_.value, beta_.value, o_.eps, o_.relu);
  update_running(s.mean, s.variance, x.numel() / o_.channels);
  batch_mean_ = s.mean;
  batch_var_ = s.variance;
  relu_mask_ = s.relu_mask;
  return s.y;
}

// Running variance is unbiased (count / (count - 1)), as PyTorch keeps it.
void BatchNorm::update_running(const Tensor& mean, const Tensor& var, int64_t count) {
  const float m = o_.momentum;
  const float unbias = count > 1 ? static_cast<float>(count) / static_cast<float>(count - 1) : 1.f;
  // Through the running_average op, so the statistics stay on the device the layer runs on.
  running_average(running_mean_, mean, 1 - m);
  running_average(running_var_, unbias == 1.f ? var : scale(var, unbias), 1 - m);
}

Tensor BatchNorm::backward_input(const Tensor& dy) {
  require_saved(x_.defined(), type());
  NormGrads g = batch_norm_backward(x_, dy, gamma_.value, beta_.value, batch_mean_, batch_var_,
                                    o_.eps, relu_mask_);
  gamma_.grad = g.dgamma;
  beta_.grad = g.dbeta;
  clear_saved();
  return g.dx;
}

std::vector<std::unique_ptr<Module>> batch_norm_then(int64_t channels, Activation a) {
  std::vector<std::unique_ptr<Module>> out;
  const bool fused = a == Activation::relu;
  out.push_back(std::make_unique<BatchNorm>(BatchNormOptions{.channels = channels, .relu = fused}));
  if (!fused) out.push_back(block_activation(a));
  return out;
}

// ---- GroupNorm ----

GroupNorm::GroupNorm(const GroupNormOptions& o) : o_(o) {
  if (o.channels < 1 || o.groups < 1 || o.channels % o.groups)
    throw std::invalid_argument("group_norm: channels " + std::to_string(o.channels) +
                                " must be a positive multiple of groups " +
                                std::to_string(o.groups));
  gamma_ = make_param({o.channels}, false);
  beta_ = make_param({o.channels}, false);
  initialize(0);
}

nlohmann::json GroupNorm::config() const {
  return {{"type", type()}, {"channels", o_.channels}, {"groups", o_.groups}, {"eps", o_.eps}};
}

std::unique_ptr<Module> GroupNorm::from_config(const Settings& s) {
  s.only({"type", "channels", "groups", "eps"});
  return std::make_unique<GroupNorm>(GroupNormOptions{.channels = s.require<int64_t>("channels"),
                                                      .groups = s.require<int64_t>("groups"),
                                                      .eps = s.get("eps", 1e-5f)});
}

void GroupNorm::collect_parameters(const std::string& prefix, std::vector<Param*>& out) {
  add_param(prefix, "gamma", gamma_, out);
  add_param(prefix, "beta", beta_, out);
}

void GroupNorm::initialize(uint64_t) {
  gamma_.value.fill(1.f);
  beta_.value.fill(0.f);
}

Tensor GroupNorm::forward_one(const Tensor& x, Mode mode) {
  check_channels(x, o_.channels, type());
  NormStats s = group_norm_forward(x, gamma_.value, beta_.value, o_.groups, o_.eps);
  if (keeps_for_backward(mode)) {
    x_ = x;
    mean_ = s.mean;
    var_ = s.variance;
  }
  return s.y;
}

Tensor GroupNorm::backward_input(const Tensor& dy) {
  require_saved(x_.defined(), type());
  NormGrads g = group_norm_backward(x_, dy, gamma_.value, mean_, var_, o_.groups, o_.eps);
  gamma_.grad = g.dgamma;
  beta_.grad = g.dbeta;
  clear_saved();
  return g.dx;
}

}  // namespace tessera
