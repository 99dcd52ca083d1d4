#pragma once
// Optimizers: SGD, Adam, and K-FAC (train/kfac.hpp). State lives in a name -> tensor map so
// checkpoints can save and restore it without knowing the optimizer.
//
//   auto opt = make_optimizer({{"type", "sgd"}, {"momentum", 0.9}, {"weight_decay", 1e-4}});
//   opt->step(model.parameters(), schedule.lr_at(step));
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/nn/param.hpp"

namespace tessera {

class Communicator;
class Module;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Called before each forward pass of `model` (train_step does it). K-FAC asks its layers to
  // record curvature on the steps that update it and reduces that curvature over `comm`
  // (nullptr: one process); first-order optimizers need nothing.
  virtual void prepare(Module& model, Communicator* comm) {
    (void)model;
    (void)comm;
  }
  // Updates every parameter from its grad with learning rate `lr`.
  virtual void step(const std::vector<Param*>& params, float lr) = 0;
  // Settings, enough for make_optimizer to rebuild it: {"type": "sgd", ...}.
  virtual nlohmann::json config() const = 0;

  // Per-parameter state ("<param>/momentum", "<param>/m", "<param>/v") and the number of steps
  // taken; a checkpoint saves and restores both.
  std::map<std::string, Tensor>& state() { return state_; }
  int64_t steps() const { return steps_; }
  void set_steps(int64_t s) { steps_ = s; }

 protected:
  // The state tensor `key`, created as zeros shaped like `like` on first use, and kept plain
  // on like's device (a restored one moves there).
  Tensor& state_tensor(const std::string& key, const Tensor& like);
  std::map<std::string, Tensor> state_;
  int64_t steps_ = 0;
};

struct SgdOptions {
  float momentum = 0.9f;
  float weight_decay = 0.f;  // L2, added to the gradient (skipped where Param::decay is false)
  bool nesterov = false;
};

struct AdamOptions {
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.f;
  bool decoupled = false;  // true: AdamW (decay applied to weights, not to the gradient)
};

std::unique_ptr<Optimizer> make_sgd(const SgdOptions& o);
std::unique_ptr<Optimizer> make_adam(const AdamOptions& o);
// {"type": "sgd"|"adam"|"adamw"|"kfac", options...}; unknown types or keys throw.
std::unique_ptr<Optimizer> make_optimizer(const nlohmann::json& config);

// What training commands offer: "sgd" (momentum 0.9), "adam" or "kfac" with their documented
// defaults, and `settings` (a JSON object as text, may be empty) over them.
std::unique_ptr<Optimizer> make_optimizer(const std::string& type, const std::string& settings);
// The learning rate each of those starts from: sgd 0.05, adam 0.003, kfac 0.02.
double default_learning_rate(const std::string& type);

}  // namespace tessera
