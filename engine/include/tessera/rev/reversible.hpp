#pragma once
// Reversible training: blocks whose input is rebuilt from their output during backward, so
// their activations need not be stored (Gomez et al. 2017, RevNet).
//
//   RevSequence body({.store_activations = false});
//   for (int i = 0; i < 64; ++i) body.add(make_coupling({.dims = 2, .channels = 64}));  // model/
//   Tensor y = body.forward(x, Mode::train);   // keeps only y: memory flat in depth
//   Tensor dx = body.backward_one(dy);         // rebuilds each block's input on the way back
//
// With store_activations = true the same blocks keep their activations and backpropagate the
// usual way: the plain twin that tests and benchmarks compare against.
#include <memory>
#include <utility>
#include <vector>

#include "tessera/io/settings.hpp"
#include "tessera/nn/module.hpp"

namespace tessera {

// A module with an exact inverse.
class Reversible : public UnaryModule {
 public:
  explicit Reversible(bool store_activations) : store_(store_activations) {}
  bool stores_activations() const { return store_; }
  bool pins_float32() const override { return !store_; }  // rebuilt by inversion

  // x from y. `mode` is the mode of the forward pass being inverted (train: batch norm uses
  // that pass's batch statistics).
  virtual Tensor inverse(const Tensor& y, Mode mode) = 0;
  // From the output y of the last train-mode forward and dL/dy: rebuilds the input, writes
  // parameter gradients, returns {x, dL/dx}. Reversible mode only.
  virtual std::pair<Tensor, Tensor> reverse_backward(const Tensor& y, const Tensor& dy) = 0;
  // Forward that keeps nothing, whatever the mode (train still updates batch statistics).
  virtual Tensor forward_unsaved(const Tensor& x, Mode mode) = 0;
  void clear_saved() override;

  // Blocks that work on the two channel halves [x1, x2] (couplings) say so, and offer the
  // steps above on halves, so that a chain of them splits and merges its state once instead of
  // at every block. The others keep the defaults, which throw.
  struct Halves {
    Tensor a, b;
  };
  virtual bool splits_channels() const { return false; }
  // keep = false: children drop what they kept as soon as they have run.
  virtual Halves forward_halves(const Halves& x, Mode mode, bool keep);
  virtual Halves inverse_halves(const Halves& y, Mode mode);
  // {x, dx} from {y, dy}
  virtual std::pair<Halves, Halves> reverse_backward_halves(const Halves& y, const Halves& dy);
  // Store mode: dx from dy, through what forward_halves(keep = true) kept.
  virtual Halves backward_halves(const Halves& dy);

 protected:
  // Store mode: forward keeping activations, and the usual backward.
  virtual Tensor forward_stored(const Tensor& x, Mode mode) = 0;
  virtual Tensor backward_stored(const Tensor& dy) = 0;
  virtual void clear_children() = 0;

 private:
  Tensor forward_one(const Tensor& x, Mode mode) final;
  Tensor backward_input(const Tensor& dy) final;
  bool store_;
  Tensor y_;  // reversible mode: the output, from which backward rebuilds everything
};

// Additive coupling: x = [x1, x2] split along channels,
//   y1 = x1 + F(x2),  y2 = x2 + G(y1),  y = [y1, y2];
//   inverse: x2 = y2 - G(y1), x1 = y1 - F(x2).
// F and G are any modules mapping [N, C/2, *S] to the same shape.
class AdditiveCoupling final : public Reversible {
 public:
  AdditiveCoupling(std::unique_ptr<Module> f, std::unique_ptr<Module> g, bool store_activations);
  std::string type() const override { return "additive_coupling"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s, const ModuleBuilder& build);
  // y2 = x2 + G(x1 + F(x2)): the output reaches as far as F followed by G.
  Topology topology() override;
  void collect_parameters(const std::string& prefix, std::vector<Param*>& out) override;
  void collect_buffers(const std::string& prefix,
                       std::vector<std::pair<std::string, Tensor*>>& out) override;
  void initialize(uint64_t seed) override;

  Tensor inverse(const Tensor& y, Mode mode) override;
  std::pair<Tensor, Tensor> reverse_backward(const Tensor& y, const Tensor& dy) override;
  Tensor forward_unsaved(const Tensor& x, Mode mode) override;
  Module& f() { return *f_; }
  Module& g() { return *g_; }

  bool splits_channels() const override { return true; }
  Halves forward_halves(const Halves& x, Mode mode, bool keep) override;
  Halves inverse_halves(const Halves& y, Mode mode) override;
  std::pair<Halves, Halves> reverse_backward_halves(const Halves& y, const Halves& dy) override;
  Halves backward_halves(const Halves& dy) override;

 protected:
  Tensor forward_stored(const Tensor& x, Mode mode) override;
  Tensor backward_stored(const Tensor& dy) override;
  void clear_children() override;

 private:
  std::unique_ptr<Module> f_, g_;
};

// Space-to-depth by `factor` in each of `dims` spatial dims as a reversible block: no
// parameters, exact inverse. [N,C,*S] -> [N, C*f^dims, *S/f].
class InvertibleDownsample final : public Reversible {
 public:
  InvertibleDownsample(int dims, int64_t factor, bool store_activations);
  std::string type() const override { return "invertible_downsample"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  Geometry geometry() const override;

  Tensor inverse(const Tensor& y, Mode mode) override;
  std::pair<Tensor, Tensor> reverse_backward(const Tensor& y, const Tensor& dy) override;
  Tensor forward_unsaved(const Tensor& x, Mode mode) override;

 protected:
  Tensor forward_stored(const Tensor& x, Mode mode) override { return forward_unsaved(x, mode); }
  Tensor backward_stored(const Tensor& dy) override;
  void clear_children() override {}

 private:
  int dims_;
  int64_t factor_;
};

struct RevSequenceOptions {
  bool store_activations = false;
  // Reversible mode keeps the sequence input and, after backward, compares it with the input
  // rebuilt from the output: a relative error max|x - x'| / max(1, max|x|) above this stops
  // training with an error instead of running on wrong gradients. 0 disables the check.
  double max_rebuild_error = 1e-3;
};

// Reversible blocks one after another; in reversible mode only the output (and the input, for
// the rebuild check) is kept, whatever the depth.
class RevSequence final : public Reversible {
 public:
  explicit RevSequence(const RevSequenceOptions& o = {});
  RevSequence& add(std::unique_ptr<Reversible> block);
  size_t size() const { return blocks_.size(); }
  Reversible& at(size_t i) { return *blocks_.at(i); }

  std::string type() const override { return "rev_sequence"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s, const ModuleBuilder& build);
  // A chain of its blocks, run (and inverted) as one.
  Topology topology() override;
  void collect_parameters(const std::string& prefix, std::vector<Param*>& out) override;
  void collect_buffers(const std::string& prefix,
                       std::vector<std::pair<std::string, Tensor*>>& out) override;
  void initialize(uint64_t seed) override;

  Tensor inverse(const Tensor& y, Mode mode) override;
  std::pair<Tensor, Tensor> reverse_backward(const Tensor& y, const Tensor& dy) override;
  Tensor forward_unsaved(const Tensor& x, Mode mode) override;

  // Relative rebuild error of the input after the last reversible backward (-1: not measured).
  double last_rebuild_error() const { return last_error_; }
  // Diagnostic: runs x through the blocks (train: with batch statistics, as in training; or
  // eval), then inverts from the output block by block; entry k is the relative error
  // max|x_k - x_k'| / max(1, max|x_k|) of block k's input rebuilt from the final output, so it
  // shows how error grows along the chain. Keeps every block's input while it runs.
  std::vector<double> rebuild_errors(const Tensor& x, Mode mode);

 protected:
  Tensor forward_stored(const Tensor& x, Mode mode) override;
  Tensor backward_stored(const Tensor& dy) override;
  void clear_children() override;

 private:
  class State;
  // Checks the rebuilt input against the kept one; returns {x, dx}.
  std::pair<Tensor, Tensor> finish_reverse(const Tensor& x, const Tensor& dx);
  RevSequenceOptions o_;
  std::vector<std::unique_ptr<Reversible>> blocks_;
  Tensor x_;  // reversible train mode with the rebuild check: the input
  double last_error_ = -1;
};

// max|a - b| / max(1, max|a|): the rebuild error measure.
double relative_max_error(const Tensor& a, const Tensor& b);

}  // namespace tessera
