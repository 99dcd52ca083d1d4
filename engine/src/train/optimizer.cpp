#include "tessera/train/optimizer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "optimizer_util.hpp"

namespace tessera {

Tensor& Optimizer::state_tensor(const std::string& key, const Tensor& like) {
  auto it = state_.find(key);
  if (it == state_.end()) return state_.emplace(key, Tensor::zeros(like.shape())).first->second;
  // Restored state from a checkpoint of a different model must not be applied silently.
  if (it->second.shape() != like.shape())
    throw std::invalid_argument("optimizer state '" + key + "' has shape " +
                                to_string(it->second.shape()) + " but its parameter has " +
                                to_string(like.shape()));
  if (!it->second.is_plain()) it->second = it->second.to_plain();
  return it->second;
}

void sgd_update(Param& p, const Tensor& grad, float lr, const SgdOptions& o, Tensor* velocity) {
  float* w = p.value.data();
  const float* g = grad.data();
  const float wd = p.decay ? o.weight_decay : 0.f, mu = o.momentum;
  const int64_t n = p.value.numel();
  if (!velocity) {  // plain SGD keeps no state
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
    return;
  }
  float* v = velocity->data();
  const bool nesterov = o.nesterov;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * w[i];
    v[i] = mu * v[i] + gi;
    w[i] -= lr * (nesterov ? gi + mu * v[i] : v[i]);
  }
}

double json_number(float v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  *res.ptr = '\0';
  return std::strtod(buf, nullptr);
}

Tensor plain_grad(const Param& p) {
  if (!p.grad.defined()) return {};
  if (p.grad.shape() != p.value.shape())
    throw std::invalid_argument("parameter '" + p.name + "' has gradient shape " +
                                to_string(p.grad.shape()) + " but value shape " +
                                to_string(p.value.shape()));
  return p.grad.to_plain();
}

void check_range(const char* what, double v, double lo, double hi, bool hi_open) {
  if (!(v >= lo && (hi_open ? v < hi : v <= hi)))
    throw std::invalid_argument(std::string("optimizer setting ") + what + " = " +
                                std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + (hi_open ? ")" : "]"));
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
    sgd_update(p, grad, lr, o_,
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
    float* w = p.value.data();
    const float* g = grad.data();
    float* m = state_tensor(p.name + "/m", p.value).data();
    float* v = state_tensor(p.name + "/v", p.value).data();
    const float wd = p.decay ? o_.weight_decay : 0.f;
    const float l2 = o_.decoupled ? 0.f : wd;           // Adam: decay joins the gradient
    const float shrink = o_.decoupled ? lr * wd : 0.f;  // AdamW: decay acts on the weight
    const float b1 = o_.beta1, b2 = o_.beta2, eps = o_.eps;
    const int64_t n = p.value.numel();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float gi = g[i] + l2 * w[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      w[i] -= shrink * w[i] + lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
    }
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

std::unique_ptr<Optimizer> make_optimizer(const nlohmann::json& config) {
  if (!config.is_object() || !config.contains("type") || !config["type"].is_string())
    throw std::invalid_argument("optimizer config needs a \"type\" string: " + config.dump());
  const std::string type = config["type"];
  if (type == "sgd") {
    const Settings s(config, "optimizer sgd");
    s.only({"type", "momentum", "weight_decay", "nesterov"});
    SgdOptions o;
    s.read("momentum", o.momentum);
    s.read("weight_decay", o.weight_decay);
    s.read("nesterov", o.nesterov);
    return make_sgd(o);
  }
  if (type == "adam" || type == "adamw") {
    const Settings s(config, "optimizer " + type);
    s.only({"type", "beta1", "beta2", "eps", "weight_decay"});
    AdamOptions o{.decoupled = type == "adamw"};
    s.read("beta1", o.beta1);
    s.read("beta2", o.beta2);
    s.read("eps", o.eps);
    s.read("weight_decay", o.weight_decay);
    return make_adam(o);
  }
  if (type == "kfac") return make_kfac(read_kfac_options(config));
  throw std::invalid_argument("unknown optimizer type '" + type +
                              "'; known: sgd, adam, adamw, kfac");
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& type, const std::string& settings) {
  nlohmann::json config;
  if (type == "sgd")
    config = make_sgd({.momentum = 0.9f})->config();
  else if (type == "adam")
    config = make_adam({})->config();
  else if (type == "kfac")
    config = make_kfac({})->config();
  else
    throw std::invalid_argument("unknown optimizer '" + type + "'; known: sgd, adam, kfac");
  if (settings.empty()) return make_optimizer(config);
  nlohmann::json over;
  try {
    over = nlohmann::json::parse(settings);
  } catch (const nlohmann::json::parse_error&) {
    throw std::invalid_argument("optimizer settings are not JSON: " + settings);
  }
  if (!over.is_object())
    throw std::invalid_argument("optimizer settings must be a JSON object: " + settings);
  for (auto& [key, value] : over.items()) {
    if (key == "type")
      throw std::invalid_argument("optimizer settings cannot change the type; choose it by name");
    config[key] = value;
  }
  return make_optimizer(config);
}

double default_learning_rate(const std::string& type) {
  if (type == "adam") return 3e-3;
  if (type == "kfac") return 0.02;
  return 0.05;  // sgd with momentum
}

}  // namespace tessera
