// Layers with spatial windows or weights: Conv (and transposed), Linear, Pool, Upsample.
#include <stdexcept>

#include "layer_util.hpp"
#include "tessera/nn/init.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/kron_factors.hpp"

namespace tessera {

using detail::add_param;
using detail::make_param;
using detail::require_saved;

namespace {}  // namespace

// ---- Conv ----

Conv::Conv(const ConvOptions& o, bool transposed) : o_(o), transposed_(transposed) {
  if (o.in_channels < 1 || o.out_channels < 1 || o.kernel.empty() || o.kernel.size() > 3)
    throw std::invalid_argument(type() + ": needs channels >= 1 and a 1-3 dim kernel");
  if (o.groups < 1 || o.in_channels % o.groups || o.out_channels % o.groups)
    throw std::invalid_argument(type() + ": channels must be divisible by groups");
  Shape w = {o.out_channels, o.in_channels / o.groups};
  w.insert(w.end(), o.kernel.begin(), o.kernel.end());
  weight_ = make_param(w, true);
  if (o.bias) bias_ = make_param({o.out_channels}, false);
  initialize(0);
}

ConvParams Conv::params() const {
  return {.stride = o_.stride,
          .padding = o_.padding,
          .dilation = o_.dilation,
          .groups = o_.groups,
          .output_padding = o_.output_padding,
          .compute = compute_};
}

nlohmann::json Conv::config() const {
  nlohmann::json j = {
      {"type", type()},          {"in_channels", o_.in_channels}, {"out_channels", o_.out_channels},
      {"kernel", o_.kernel},     {"stride", o_.stride},           {"padding", o_.padding},
      {"dilation", o_.dilation}, {"groups", o_.groups},           {"bias", o_.bias}};
  if (transposed_) j["output_padding"] = o_.output_padding;
  return j;
}

std::unique_ptr<Module> Conv::from_config(const Settings& s) {
  const bool transposed = s.require<std::string>("type") == "conv_transpose";
  std::vector<std::string> keys = {"type",    "in_channels", "out_channels", "kernel", "stride",
                                   "padding", "dilation",    "groups",       "bias"};
  if (transposed) keys.push_back("output_padding");
  s.only(keys);
  ConvOptions o{.in_channels = s.require<int64_t>("in_channels"),
                .out_channels = s.require<int64_t>("out_channels"),
                .kernel = s.require<Shape>("kernel")};
  s.read("stride", o.stride);
  s.read("padding", o.padding);
  s.read("dilation", o.dilation);
  s.read("groups", o.groups);
  s.read("bias", o.bias);
  s.read("output_padding", o.output_padding);
  return std::make_unique<Conv>(o, transposed);
}

Geometry Conv::geometry() const {
  const size_t sd = o_.kernel.size();
  auto or_1 = [&](const Shape& v, int64_t def) { return v.empty() ? Shape(sd, def) : v; };
  return {.kind = transposed_ ? Geometry::Kind::transposed : Geometry::Kind::window,
          .kernel = o_.kernel,
          .stride = or_1(o_.stride, 1),
          .padding = or_1(o_.padding, 0),
          .dilation = or_1(o_.dilation, 1),
          .zero_padding = !transposed_};
}

std::unique_ptr<Module> Conv::without_padding(int axis) const {
  if (transposed_ || axis < 0 || size_t(axis) >= o_.kernel.size()) return nullptr;
  ConvOptions o = o_;
  if (o.padding.empty()) o.padding = Shape(o.kernel.size(), 0);
  o.padding[size_t(axis)] = 0;
  auto twin = std::make_unique<Conv>(o, false);
  twin->weight_.value = weight_.value;  // shares the weights, not a copy
  twin->bias_.value = bias_.value;
  twin->compute_ = compute_;
  return twin;
}

void Conv::collect_parameters(const std::string& prefix, std::vector<Param*>& out) {
  add_param(prefix, "weight", weight_, out);
  add_param(prefix, "bias", bias_, out);
}

void Conv::initialize(uint64_t seed) {
  const int64_t k = product(o_.kernel);
  // A transposed convolution's fan-in per output is in_channels * k / stride^dims; the plain
  // in_channels * k keeps the same scale convention as PyTorch's.
  const int64_t fan_in = (transposed_ ? o_.out_channels : o_.in_channels) / o_.groups * k;
  he_normal(weight_.value, fan_in, seed);
  if (bias_.value.defined()) bias_.value.fill(0.f);
}

Tensor Conv::forward_one(const Tensor& x, Mode mode) {
  if (x.spatial_dims() != static_cast<int>(o_.kernel.size()) || x.dim(1) != o_.in_channels)
    throw std::invalid_argument(type() + ": input " + to_string(x.shape()) + " does not match " +
                                std::to_string(o_.in_channels) + " channels and a " +
                                std::to_string(o_.kernel.size()) + "D kernel");
  if (keeps_for_backward(mode)) x_ = x;
  return transposed_ ? conv_transpose_forward(x, weight_.value, bias_.value, params())
                     : conv_forward(x, weight_.value, bias_.value, params());
}

Tensor Conv::backward_input(const Tensor& dy) {
  require_saved(x_.defined(), type());
  ConvGrads g =
      transposed_
          ? conv_transpose_backward(x_, weight_.value, dy, params(), o_.bias, input_gradient_)
          : conv_backward(x_, weight_.value, dy, params(), o_.bias, input_gradient_);
  weight_.grad = g.dw;
  if (o_.bias) bias_.grad = g.db;
  if (record_ && has_kron_factors())
    factors_ = {patch_covariance(x_, o_.kernel, params(), o_.bias), output_gradient_covariance(dy)};
  x_ = Tensor();
  return g.dx;
}

// ---- Linear ----

Linear::Linear(const LinearOptions& o) : o_(o) {
  if (o.in_features < 1 || o.out_features < 1)
    throw std::invalid_argument("linear: features must be >= 1");
  weight_ = make_param({o.out_features, o.in_features}, true);
  if (o.bias) bias_ = make_param({o.out_features}, false);
  initialize(0);
}

nlohmann::json Linear::config() const {
  return {{"type", type()},
          {"in_features", o_.in_features},
          {"out_features", o_.out_features},
          {"bias", o_.bias}};
}

std::unique_ptr<Module> Linear::from_config(const Settings& s) {
  s.only({"type", "in_features", "out_features", "bias"});
  return std::make_unique<Linear>(LinearOptions{.in_features = s.require<int64_t>("in_features"),
                                                .out_features = s.require<int64_t>("out_features"),
                                                .bias = s.get("bias", true)});
}

void Linear::collect_parameters(const std::string& prefix, std::vector<Param*>& out) {
  add_param(prefix, "weight", weight_, out);
  add_param(prefix, "bias", bias_, out);
}

void Linear::initialize(uint64_t seed) {
  xavier_uniform(weight_.value, o_.in_features, o_.out_features, seed);
  if (bias_.value.defined()) bias_.value.fill(0.f);
}

Tensor Linear::forward_one(const Tensor& x, Mode mode) {
  if (keeps_for_backward(mode)) x_ = x;
  return linear_forward(x, weight_.value, bias_.value);
}

Tensor Linear::backward_input(const Tensor& dy) {
  require_saved(x_.defined(), type());
  ConvGrads g = linear_backward(x_, weight_.value, dy, o_.bias, true);
  weight_.grad = g.dw;
  if (o_.bias) bias_.grad = g.db;
  if (record_) {
    const Tensor x = x_.to_plain().reshape({x_.dim(0), o_.in_features});
    factors_ = {patch_covariance(x, {}, {}, o_.bias), output_gradient_covariance(dy)};
  }
  x_ = Tensor();
  return g.dx;
}

// ---- Pool ----

nlohmann::json Pool::config() const {
  return {{"type", type()}, {"kernel", p_.kernel}, {"stride", p_.stride}, {"padding", p_.padding}};
}

std::unique_ptr<Module> Pool::from_config(const Settings& s) {
  s.only({"type", "kernel", "stride", "padding"});
  const PoolKind kind =
      s.require<std::string>("type") == "avg_pool" ? PoolKind::avg : PoolKind::max;
  return std::make_unique<Pool>(PoolParams{.kind = kind,
                                           .kernel = s.require<Shape>("kernel"),
                                           .stride = s.get<Shape>("stride", {}),
                                           .padding = s.get<Shape>("padding", {})});
}

Geometry Pool::geometry() const {
  const size_t sd = p_.kernel.size();
  return {.kind = Geometry::Kind::window,
          .kernel = p_.kernel,
          .stride = p_.stride.empty() ? p_.kernel : p_.stride,
          .padding = p_.padding.empty() ? Shape(sd, 0) : p_.padding,
          .dilation = Shape(sd, 1)};
}

Tensor Pool::forward_one(const Tensor& x, Mode mode) {
  PoolResult r = pool_forward(x, p_, keeps_for_backward(mode));
  if (keeps_for_backward(mode)) {
    x_layout_ = x.layout();
    ws_ = r.workspace;
  }
  return r.y;
}

Tensor Pool::backward_input(const Tensor& dy) {
  require_saved(!x_layout_.dims.empty(), type());
  Tensor dx = pool_backward(dy, ws_, x_layout_, p_);
  ws_ = Tensor();
  return dx;
}

// ---- Upsample ----

nlohmann::json Upsample::config() const {
  return {{"type", type()},
          {"mode", mode_ == UpsampleMode::nearest ? "nearest" : "linear"},
          {"scale", scale_}};
}

std::unique_ptr<Module> Upsample::from_config(const Settings& s) {
  s.only({"type", "mode", "scale"});
  const std::string mode = s.require<std::string>("mode");
  if (mode != "nearest" && mode != "linear")
    s.fail("mode", "unknown upsampling mode '" + mode + "'; known: nearest, linear");
  return std::make_unique<Upsample>(
      mode == "nearest" ? UpsampleMode::nearest : UpsampleMode::linear, s.require<Shape>("scale"));
}

Tensor Upsample::forward_one(const Tensor& x, Mode mode) {
  if (keeps_for_backward(mode)) x_layout_ = x.layout();
  return upsample_forward(x, mode_, scale_);
}

Tensor Upsample::backward_input(const Tensor& dy) {
  require_saved(!x_layout_.dims.empty(), type());
  return upsample_backward(dy, x_layout_, mode_, scale_);
}

}  // namespace tessera
