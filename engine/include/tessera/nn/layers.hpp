#pragma once
// The layers. Each takes an options struct (designated initializers), states its geometry, and
// reads itself back from its config() with from_config (unknown settings refused).
#include "tessera/io/settings.hpp"
#include "tessera/nn/kron_factored.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/ops/activation.hpp"
#include "tessera/ops/conv.hpp"
#include "tessera/ops/lstm.hpp"
#include "tessera/ops/pool.hpp"
#include "tessera/ops/resample.hpp"

namespace tessera {

struct ConvOptions {
  int64_t in_channels = 1;
  int64_t out_channels = 1;
  Shape kernel = {3, 3};                  // its length sets 1D / 2D / 3D
  Shape stride{}, padding{}, dilation{};  // empty: 1, 0, 1 per spatial dim
  int64_t groups = 1;
  bool bias = true;
  Shape output_padding{};  // transposed only
};

// y = conv(x, w) + b.  [N,Ci,*S] -> [N,Co,*S'];  He-normal init.
// transposed = true: transposed convolution (kernel 2, stride 2 upsamples exactly 2x).
class Conv final : public UnaryModule, public KroneckerFactored {
 public:
  explicit Conv(const ConvOptions& o, bool transposed = false);
  std::string type() const override { return transposed_ ? "conv_transpose" : "conv"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  Geometry geometry() const override;
  std::unique_ptr<Module> without_padding(int axis) const override;
  void collect_parameters(const std::string& prefix, std::vector<Param*>& out) override;
  void initialize(uint64_t seed) override;
  void clear_saved() override { x_ = Tensor(); }
  void set_compute_type(DataType t) override { compute_ = t; }
  void set_input_gradient(bool needed) override { input_gradient_ = needed; }
  Param& weight() { return weight_; }
  Param& bias() { return bias_; }
  bool has_kron_factors() const override { return !transposed_ && o_.groups == 1; }
  Param& kron_weight() override { return weight_; }
  Param* kron_bias() override { return o_.bias ? &bias_ : nullptr; }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  ConvParams params() const;
  ConvOptions o_;
  bool transposed_;
  DataType compute_ = DataType::f32;
  bool input_gradient_ = true;
  Param weight_, bias_;
  Tensor x_;
};

// [N,C,*S] -> [N,C,*S'].
class Pool final : public UnaryModule {
 public:
  explicit Pool(const PoolParams& p) : p_(p) {}
  std::string type() const override { return p_.kind == PoolKind::max ? "max_pool" : "avg_pool"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  Geometry geometry() const override;
  void clear_saved() override { ws_ = Tensor(); }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  PoolParams p_;
  Layout x_layout_;  // of the last train-mode input
  Tensor ws_;
};

struct BatchNormOptions {
  int64_t channels = 1;
  float eps = 1e-5f;
  float momentum = 0.1f;  // running = (1 - momentum) * running + momentum * batch
  // A ReLU after the normalization in the same pass (batch_norm_forward_train's relu): what a
  // norm -> ReLU pair computes, with one pass over the activations fewer each way, and a byte
  // per element kept for backward instead of the ReLU's float output.
  bool relu = false;
};

// Train: batch statistics, updates running mean / (unbiased) variance. Eval: running statistics.
// Recompute: the batch statistics of the last train pass, running statistics untouched.
class BatchNorm final : public UnaryModule {
 public:
  explicit BatchNorm(const BatchNormOptions& o);
  std::string type() const override { return "batch_norm"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  void collect_parameters(const std::string& prefix, std::vector<Param*>& out) override;
  void collect_buffers(const std::string& prefix,
                       std::vector<std::pair<std::string, Tensor*>>& out) override;
  void initialize(uint64_t seed) override;
  void clear_saved() override { x_ = relu_mask_ = Tensor(); }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  void update_running(const Tensor& mean, const Tensor& var, int64_t count);
  BatchNormOptions o_;
  Param gamma_, beta_;
  Tensor running_mean_, running_var_;
  Tensor x_, relu_mask_;
  Tensor batch_mean_, batch_var_;  // of the last train pass; [C], kept for backward and recompute
};

// Batch norm then block_activation(a) as a network's blocks have them: one module when `a` is
// ReLU (fused, BatchNormOptions::relu), else the two.
std::vector<std::unique_ptr<Module>> batch_norm_then(int64_t channels, Activation a);

struct GroupNormOptions {
  int64_t channels = 1;
  int64_t groups = 1;
  float eps = 1e-5f;
};

class GroupNorm final : public UnaryModule {
 public:
  explicit GroupNorm(const GroupNormOptions& o);
  std::string type() const override { return "group_norm"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  // Statistics over each sample's whole extent: a tile would see different ones.
  Geometry geometry() const override { return {.kind = Geometry::Kind::global}; }
  void collect_parameters(const std::string& prefix, std::vector<Param*>& out) override;
  void initialize(uint64_t seed) override;
  void clear_saved() override { x_ = mean_ = var_ = Tensor(); }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  GroupNormOptions o_;
  Param gamma_, beta_;
  Tensor x_, mean_, var_;
};

class Act final : public UnaryModule {
 public:
  explicit Act(Activation kind, float alpha = 0.f) : kind_(kind), alpha_(alpha) {}
  std::string type() const override { return "activation"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  void clear_saved() override { x_ = y_ = Tensor(); }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  Activation kind_;
  float alpha_;
  Tensor x_, y_;
};

// Activation `a` as the networks' blocks use it: ELU with alpha 1, the others as they are.
std::unique_ptr<Act> block_activation(Activation a);

struct LinearOptions {
  int64_t in_features = 1;
  int64_t out_features = 1;
  bool bias = true;
};

// [N,F] (or [N,C,*S], flattened) -> [N,O]; Xavier-uniform init.
class Linear final : public UnaryModule, public KroneckerFactored {
 public:
  explicit Linear(const LinearOptions& o);
  std::string type() const override { return "linear"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  Geometry geometry() const override { return {.kind = Geometry::Kind::global}; }
  void collect_parameters(const std::string& prefix, std::vector<Param*>& out) override;
  void initialize(uint64_t seed) override;
  void clear_saved() override { x_ = Tensor(); }
  bool has_kron_factors() const override { return true; }
  Param& kron_weight() override { return weight_; }
  Param* kron_bias() override { return o_.bias ? &bias_ : nullptr; }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  LinearOptions o_;
  Param weight_, bias_;
  Tensor x_;
};

// [N,C,*S] -> [N,C,*S*scale].
class Upsample final : public UnaryModule {
 public:
  Upsample(UpsampleMode mode, Shape scale) : mode_(mode), scale_(std::move(scale)) {}
  std::string type() const override { return "upsample"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  Geometry geometry() const override { return {.kind = Geometry::Kind::upsample, .scale = scale_}; }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  UpsampleMode mode_;
  Shape scale_;
  Layout x_layout_;  // of the last train-mode input
};

// Inverted dropout in train mode, identity in eval. The mask of each call depends on the seed
// and the number of calls so far, which the config carries so a resumed run draws the same.
class Dropout final : public UnaryModule {
 public:
  Dropout(float p, uint64_t seed, uint64_t calls = 0);
  std::string type() const override { return "dropout"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  void clear_saved() override { mask_ = Tensor(); }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  float p_;
  uint64_t seed_, calls_;
  Tensor mask_;
};

// Softmax along `axis` (channels by default).
class Softmax final : public UnaryModule {
 public:
  explicit Softmax(int axis = 1) : axis_(axis) {}
  std::string type() const override { return "softmax"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  int axis_;
  Tensor y_;
};

struct LstmOptions {
  int64_t input_size = 1;   // channels C
  int64_t hidden_size = 1;  // H
  bool return_sequence = false;
  float forget_bias = 0;  // initial bias of the forget gate (1 to 3 helps long memories)
};

// One LSTM layer over the last axis as time: [N,C,T] -> [N,H] (the state after the last step)
// or, with return_sequence, [N,H,T]. Weights uniform in +-1/sqrt(H) (as PyTorch), biases 0
// except the forget gate's. Takes the plain SGD step under K-FAC.
class Lstm final : public UnaryModule {
 public:
  explicit Lstm(const LstmOptions& o);
  std::string type() const override { return "lstm"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  Geometry geometry() const override { return {.kind = Geometry::Kind::global}; }
  void collect_parameters(const std::string& prefix, std::vector<Param*>& out) override;
  void initialize(uint64_t seed) override;
  void clear_saved() override { x_ = Tensor(), run_ = LstmResult(); }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  LstmWeights weights() const { return {w_input_.value, w_recurrent_.value, bias_.value}; }
  LstmOptions o_;
  Param w_input_, w_recurrent_, bias_;
  Tensor x_;  // time-major input of the last train-mode forward
  LstmResult run_;
};

// [N,C,*S] -> [N, C*prod(S)].
class Flatten final : public UnaryModule {
 public:
  std::string type() const override { return "flatten"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  Geometry geometry() const override { return {.kind = Geometry::Kind::global}; }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  Shape x_shape_;
};

// Two inputs of the same shape: a + b or a * b.
class Add final : public Module {
 public:
  std::string type() const override { return "add"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  int num_inputs() const override { return 2; }

 protected:
  Tensor run_forward(const std::vector<Tensor>& xs, Mode mode) override;
  std::vector<Tensor> run_backward(const Tensor& dy) override;
};

class Multiply final : public Module {
 public:
  std::string type() const override { return "multiply"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  int num_inputs() const override { return 2; }
  void clear_saved() override { a_ = b_ = Tensor(); }

 protected:
  Tensor run_forward(const std::vector<Tensor>& xs, Mode mode) override;
  std::vector<Tensor> run_backward(const Tensor& dy) override;

 private:
  Tensor a_, b_;
};

// Any number of inputs joined along `axis` (channels by default).
class Concat final : public Module {
 public:
  explicit Concat(int axis = 1) : axis_(axis) {}
  std::string type() const override { return "concat"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  int num_inputs() const override { return -1; }

 protected:
  Tensor run_forward(const std::vector<Tensor>& xs, Mode mode) override;
  std::vector<Tensor> run_backward(const Tensor& dy) override;

 private:
  int axis_;
  std::vector<int64_t> sizes_;
};

// Two inputs (x, reference): x centre-cropped in space to the reference's spatial size, for
// U-Net skips around unpadded convolutions. The reference gets no gradient.
class CenterCrop final : public Module {
 public:
  std::string type() const override { return "center_crop"; }
  Geometry geometry() const override { return {.kind = Geometry::Kind::crop_to_reference}; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s);
  int num_inputs() const override { return 2; }

 protected:
  Tensor run_forward(const std::vector<Tensor>& xs, Mode mode) override;
  std::vector<Tensor> run_backward(const Tensor& dy) override;

 private:
  Shape x_shape_, ref_shape_, offsets_;
};

}  // namespace tessera
