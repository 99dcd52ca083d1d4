#pragma once
// Modules: layers with parameters, and containers that own activation lifetimes.
//
//   Graph net = make_unet({.dims = 2, .channels = {16, 32}});
//   Tensor y = net.forward(x, Mode::train);        // keeps what backward needs
//   LossResult l = bce_with_logits_loss(y, target);
//   net.backward(l.grad);                          // writes Param::grad, frees what was kept
//   opt->step(net.parameters(), lr);
//
// A module's forward in train mode keeps exactly what its backward needs and nothing more;
// backward consumes it. In eval mode nothing is kept. Parameter gradients are overwritten by
// each backward, not accumulated.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/nn/param.hpp"
#include "tessera/tensor/tensor.hpp"

namespace tessera {

// train: batch statistics, running statistics updated, dropout active; keeps what backward needs.
// eval: running statistics, no dropout, keeps nothing.
// recompute: replays the last train-mode forward for a second backward-ready pass (reversible
//   blocks rebuild activations this way): batch norm reuses the batch statistics of that pass
//   and leaves running statistics alone, dropout reuses its mask.
enum class Mode { train, eval, recompute };

// Whether a forward pass in `mode` keeps what backward needs.
inline bool keeps_for_backward(Mode mode) {
  return mode != Mode::eval;
}

// How a leaf module maps input positions to output positions, for receptive-field and halo
// computation. Window: convolution or pooling. Transposed: transposed convolution. Upsample:
// integer scale. Pointwise: output position i depends on input position i only. Global: an
// output depends on the whole input (flatten, linear, group norm's statistics). Crop to
// reference: the output is cut to the size of another input (a U-Net skip around unpadded
// convolutions). Networks with global or crop layers cannot be run by tiles.
struct Geometry {
  enum class Kind { pointwise, window, transposed, upsample, global, crop_to_reference };
  Kind kind = Kind::pointwise;
  Shape kernel{}, stride{}, padding{}, dilation{};  // window, transposed (per spatial dim)
  Shape scale{};                                    // upsample
  // Window: the padding acts as zero input (a convolution's), so an executor may supply the zero
  // rows itself and run the module's twin without padding (Module::without_padding). Pooling's
  // padding is not zeros (max ignores it, average leaves it out of the divisor).
  bool zero_padding = false;
};

class Module;

// How a module is built from children, for code that walks any network without knowing its
// types (the tiler, K-FAC, data-parallel hooks). Nodes come in execution order; each reads
// earlier nodes or the module's input (Topology::input); the last node is the output.
struct Topology {
  static constexpr int input = -1;
  struct Node {
    Module* module = nullptr;
    std::vector<int> inputs;
    std::string name;
  };
  std::vector<Node> nodes;  // none: a leaf, described by its geometry
  // Whether the module's forward pass is exactly its nodes run in order on the node inputs
  // (Sequential, Graph), so an executor may run them one at a time. When false the nodes
  // state only how far the output reaches (a reversible block runs, and inverts, as one).
  bool runs_by_node = false;

  // A chain: each module reads the one before, the first reads the input.
  static Topology chain(const std::vector<Module*>& modules, bool runs_by_node);
};

class Module {
 public:
  virtual ~Module() = default;

  Tensor forward(const Tensor& x, Mode mode) { return forward(std::vector<Tensor>{x}, mode); }
  Tensor forward(const std::vector<Tensor>& xs, Mode mode) { return run_forward(xs, mode); }
  // dy -> one gradient per input.
  std::vector<Tensor> backward(const Tensor& dy);
  Tensor backward_one(const Tensor& dy);  // for single-input modules

  virtual std::string type() const = 0;
  // Architecture and settings, including "type": make_module(config()) rebuilds the module
  // (with fresh parameters).
  virtual nlohmann::json config() const = 0;
  virtual int num_inputs() const { return 1; }  // -1: any number
  virtual Geometry geometry() const { return {}; }
  // Containers and blocks state their children and how they connect; leaves have none.
  virtual Topology topology() { return {}; }
  // The same module with no padding along spatial axis `axis`, sharing its parameters, for a
  // module whose geometry has zero_padding; nullptr when the module has no such twin.
  virtual std::unique_ptr<Module> without_padding(int axis) const {
    (void)axis;
    return nullptr;
  }

  // Parameters and non-trained state (running statistics), named under `prefix`.
  virtual void collect_parameters(const std::string& prefix, std::vector<Param*>& out);
  virtual void collect_buffers(const std::string& prefix,
                               std::vector<std::pair<std::string, Tensor*>>& out);
  // Reinitialises parameters from `seed` (He / Xavier by layer kind); deterministic.
  virtual void initialize(uint64_t seed);
  // Drops whatever forward kept (after an aborted step).
  virtual void clear_saved() {}
  // The type a layer multiplies in (ConvParams::compute: f32, or bf16 with float32 sums and
  // weights); layers without such products ignore it. Not part of config(): a model trained in
  // one runs in the other. set_compute_type(Module&, DataType) sets a whole network.
  virtual void set_compute_type(DataType t) { (void)t; }
  // Whether the module and all below it stay float32 whatever set_compute_type(Module&) asks:
  // a reversible block rebuilds its input by inverting its functions, which must then give the
  // same values as in the forward pass; bf16 rounding turns the rebuilt input's last-bit
  // differences into errors that grow block by block (0.13 relative over 64 blocks of 16
  // channels, against the 1e-3 a reversible stage allows).
  virtual bool pins_float32() const { return false; }
  // Whether backward must return the gradient of the module's input (by default it does). A
  // layer told it need not may skip that pass: a network's input is data whose gradient nobody
  // reads, and a stem convolution's input gradient costs more than its forward pass (a tenth of
  // the connectomics U-Net's step). set_input_gradient(Module&, bool) sets a network.
  virtual void set_input_gradient(bool needed) { (void)needed; }

  // Calls f on each direct child, the nodes of topology().
  void for_each_child(const std::function<void(Module&)>& f);
  // Called after each backward of this module, when the gradients of the parameters it owns
  // directly are final: data-parallel training starts reducing them while backward goes on.
  void set_backward_hook(std::function<void(Module&)> hook) { backward_hook_ = std::move(hook); }

  std::vector<Param*> parameters();
  std::vector<std::pair<std::string, Tensor*>> buffers();
  int64_t parameter_count();

 protected:
  virtual Tensor run_forward(const std::vector<Tensor>& xs, Mode mode) = 0;
  virtual std::vector<Tensor> run_backward(const Tensor& dy) = 0;

 private:
  std::function<void(Module&)> backward_hook_;
};

// Calls f on m and on every module below it, parents first.
void for_each_module(Module& m, const std::function<void(Module&)>& f);

// Moves the parameters of `net`, their gradients and its buffers (running statistics) to
// `device`; the module then runs on tensors there. Checkpoints read and write any device.
void move_to(Module& net, Device device);

// Where `net` computes: the device of its parameters (the CPU for a module without any).
Device device_of(Module& net);

// net.forward(x, mode) computed on net's device and returned on x's: how code that keeps its
// data in host memory runs a model that may live on a GPU (a copy each way when they differ).
Tensor forward_on_model_device(Module& net, const Tensor& x, Mode mode);

// Sets the compute type of every layer of `net` (see Module::set_compute_type) but those a
// module pins to float32 (Module::pins_float32).
void set_compute_type(Module& net, DataType t);

// Tells the modules that read `net`'s input directly (through containers that run node by node)
// whether their input gradient is needed; backward then returns an undefined gradient where it
// is not. train_step turns it off for its step.
void set_input_gradient(Module& net, bool needed);

// A module of one input: implement forward_one / backward_input.
class UnaryModule : public Module {
 protected:
  virtual Tensor forward_one(const Tensor& x, Mode mode) = 0;
  virtual Tensor backward_input(const Tensor& dy) = 0;

 private:
  Tensor run_forward(const std::vector<Tensor>& xs, Mode mode) final;
  std::vector<Tensor> run_backward(const Tensor& dy) final { return {backward_input(dy)}; }
};

// Builds a child module from its config, for containers' from_config (model/registry.hpp's
// make_module is the one every container is given).
class Settings;
using ModuleBuilder = std::function<std::unique_ptr<Module>(const Settings& config)>;

}  // namespace tessera
