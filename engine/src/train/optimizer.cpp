#include "tessera/train/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "optimizer_util.hpp"
#include "tessera/ops/update.hpp"

namespace tessera {

Tensor& Optimizer::state_tensor(const std::string& key, const Tensor& like) {
  auto it = state_.find(key);
  if (it == state_.end())
    return state_.emplace(key, Tensor::zeros(like.shape(), like.device())).first->second;
  // Restored state from a checkpoint of a different model must not be applied silently.
  if (it->second.shape() != like.shape())
    throw std::invalid_argument("optimizer state '" + key + "' has shape " +
                                to_string(it->second.shape()) + " but its parameter has " +
                                to_string(like.shape()));
  // State restored from a checkpoint is in host memory; it follows its parameter's device.
  it->second = it->second.to(like.device()).to_plain();
  return it->second;
}

namespace {

class Sgd final : public Optimizer {
 public:
  explicit Sgd(const SgdOptions& o) : o_(o) {
    check_range("momentum", o.momentum, 0, 1, true);
    check_range("weight_decay", o.weight_decay, 0, INFINITY, false);
  }

  void step(const std::vector<Param*>& params, float lr) override {
    for (Param* p : params) {
      const Tensor g = plain_grad(*p);
      if (g.defined()) update(*p, g, lr);  // no gradient (frozen or unused): left as is
    }
    ++steps_;
  }

  nlohmann::json config() const override {
    return {{"type", "sgd"},
            {"momentum", json_number(o_.momentum)},
            {"weight_decay", json_number(o_.weight_decay)},
            {"nesterov", o_.nesterov}};
  }

 private:
  void update(Param& p, const Tensor& grad, float lr) {
    sgd_step(p, grad, lr, o_,
             o_.momentum == 0.f ? nullptr : &state_tensor(p.name + "/momentum", p.value));
  }

  SgdOptions o_;
};

class Adam final : public Optimizer {
 public:
  explicit Adam(const AdamOptions& o) : o_(o) {
    check_range("beta1", o.beta1, 0, 1, true);
    check_range("beta2", o.beta2, 0, 1, true);
    check_range("weight_decay", o.weight_decay, 0, INFINITY, false);
    if (!(o.eps > 0)) throw std::invalid_argument("optimizer setting eps must be > 0");
  }

  void step(const std::vector<Param*>& params, float lr) override {
    // Bias corrections for step t = steps_ + 1, in double since beta2^t is close to 1.
    const double t = double(steps_ + 1);
    const float c1 = float(1 - std::pow(double(o_.beta1), t));
    const float c2 = float(1 - std::pow(double(o_.beta2), t));
    for (Param* p : params) {
      const Tensor g = plain_grad(*p);
      if (g.defined()) update(*p, g, lr, c1, c2);  // no gradient (frozen or unused): left as is
    }
    ++steps_;
  }

  nlohmann::json config() const override {
    return {{"type", o_.decoupled ? "adamw" : "adam"},
            {"beta1", json_number(o_.beta1)},
            {"beta2", json_number(o_.beta2)},
            {"eps", json_number(o_.eps)},
            {"weight_decay", json_number(o_.weight_decay)}};
  }

 private:
  void update(Param& p, const Tensor& grad, float lr, float c1, float c2) {
    adam_update(p.value, grad, state_tensor(p.name + "/m", p.value),
                state_tensor(p.name + "/v", p.value),
                {.lr = lr,
                 .beta1 = o_.beta1,
                 .beta2 = o_.beta2,
                 .eps = o_.eps,
                 .weight_decay = p.decay ? o_.weight_decay : 0.f,
                 .decoupled = o_.decoupled,
                 .bias_correction1 = c1,
                 .bias_correction2 = c2});
  }

  AdamOptions o_;
};

}  // namespace

std::unique_ptr<Optimizer> make_sgd(const SgdOptions& o) {
  return std::make_unique<Sgd>(o);
}
std::unique_ptr<Optimizer> make_adam(const AdamOptions& o) {
  return std::make_unique<Adam>(o);
}

SgdOptions read_sgd_options(const Settings& s) {
  s.only({"type", "momentum", "weight_decay", "nesterov"});
  SgdOptions o;
  s.read("momentum", o.momentum);
  s.read("weight_decay", o.weight_decay);
  s.read("nesterov", o.nesterov);
  return o;
}

AdamOptions read_adam_options(const Settings& s, bool decoupled) {
  s.only({"type", "beta1", "beta2", "eps", "weight_decay"});
  AdamOptions o{.decoupled = decoupled};
  s.read("beta1", o.beta1);
  s.read("beta2", o.beta2);
  s.read("eps", o.eps);
  s.read("weight_decay", o.weight_decay);
  return o;
}

}  // namespace tessera
