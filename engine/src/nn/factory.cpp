// make_module: the inverse of Module::config(), so a checkpoint rebuilds its network without
// the code that made it.
#include <functional>
#include <map>
#include <stdexcept>

#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/rev/reversible.hpp"

namespace tessera {

namespace {

using json = nlohmann::json;

// Reads optional key `k` of `j`, or `def`.
template <typename T>
T get(const json& j, const char* k, T def) {
  return j.contains(k) ? j.at(k).get<T>() : def;
}

ConvOptions conv_options(const json& j) {
  return {.in_channels = j.at("in_channels").get<int64_t>(),
          .out_channels = j.at("out_channels").get<int64_t>(),
          .kernel = j.at("kernel").get<Shape>(),
          .stride = get<Shape>(j, "stride", {}),
          .padding = get<Shape>(j, "padding", {}),
          .dilation = get<Shape>(j, "dilation", {}),
          .groups = get<int64_t>(j, "groups", 1),
          .bias = get<bool>(j, "bias", true),
          .output_padding = get<Shape>(j, "output_padding", {})};
}

PoolParams pool_params(const json& j, PoolKind kind) {
  return {.kind = kind,
          .kernel = j.at("kernel").get<Shape>(),
          .stride = get<Shape>(j, "stride", {}),
          .padding = get<Shape>(j, "padding", {})};
}

std::unique_ptr<Module> make_graph(const json& j) {
  auto g = std::make_unique<Graph>();
  for (const json& n : j.at("nodes"))
    g->add(make_module(n.at("module")), n.at("inputs").get<std::vector<int>>(),
           n.at("name").get<std::string>());
  return g;
}

std::unique_ptr<Module> make_sequential(const json& j) {
  auto s = std::make_unique<Sequential>();
  for (const json& m : j.at("modules")) s->add(make_module(m));
  return s;
}

std::unique_ptr<Reversible> make_reversible(const json& j) {
  std::unique_ptr<Module> m = make_module(j);
  auto* r = dynamic_cast<Reversible*>(m.get());
  if (!r) throw std::invalid_argument("rev_sequence: '" + m->type() + "' is not reversible");
  m.release();
  return std::unique_ptr<Reversible>(r);
}

std::unique_ptr<Module> make_rev_sequence(const json& j) {
  auto s = std::make_unique<RevSequence>(
      RevSequenceOptions{.store_activations = get<bool>(j, "store_activations", false),
                         .max_rebuild_error = get<double>(j, "max_rebuild_error", 1e-3)});
  for (const json& b : j.at("blocks")) s->add(make_reversible(b));
  return s;
}

using Maker = std::function<std::unique_ptr<Module>(const json&)>;

const std::map<std::string, Maker>& makers() {
  static const std::map<std::string, Maker> m = {
      {"conv", [](const json& j) { return std::make_unique<Conv>(conv_options(j), false); }},
      {"conv_transpose",
       [](const json& j) { return std::make_unique<Conv>(conv_options(j), true); }},
      {"max_pool",
       [](const json& j) { return std::make_unique<Pool>(pool_params(j, PoolKind::max)); }},
      {"avg_pool",
       [](const json& j) { return std::make_unique<Pool>(pool_params(j, PoolKind::avg)); }},
      {"batch_norm",
       [](const json& j) {
         return std::make_unique<BatchNorm>(
             BatchNormOptions{.channels = j.at("channels").get<int64_t>(),
                              .eps = get<float>(j, "eps", 1e-5f),
                              .momentum = get<float>(j, "momentum", 0.1f)});
       }},
      {"group_norm",
       [](const json& j) {
         return std::make_unique<GroupNorm>(
             GroupNormOptions{.channels = j.at("channels").get<int64_t>(),
                              .groups = j.at("groups").get<int64_t>(),
                              .eps = get<float>(j, "eps", 1e-5f)});
       }},
      {"activation",
       [](const json& j) {
         return std::make_unique<Act>(activation_from_string(j.at("kind").get<std::string>()),
                                      get<float>(j, "alpha", 0.f));
       }},
      {"linear",
       [](const json& j) {
         return std::make_unique<Linear>(
             LinearOptions{.in_features = j.at("in_features").get<int64_t>(),
                           .out_features = j.at("out_features").get<int64_t>(),
                           .bias = get<bool>(j, "bias", true)});
       }},
      {"upsample",
       [](const json& j) {
         const std::string mode = j.at("mode").get<std::string>();
         if (mode != "nearest" && mode != "linear")
           throw std::invalid_argument("upsample: unknown mode '" + mode + "'");
         return std::make_unique<Upsample>(
             mode == "nearest" ? UpsampleMode::nearest : UpsampleMode::linear,
             j.at("scale").get<Shape>());
       }},
      {"dropout",
       [](const json& j) {
         return std::make_unique<Dropout>(j.at("p").get<float>(), j.at("seed").get<uint64_t>(),
                                          get<uint64_t>(j, "calls", 0));
       }},
      {"softmax", [](const json& j) { return std::make_unique<Softmax>(get<int>(j, "axis", 1)); }},
      {"lstm",
       [](const json& j) {
         return std::make_unique<Lstm>(
             LstmOptions{.input_size = j.at("input_size").get<int64_t>(),
                         .hidden_size = j.at("hidden_size").get<int64_t>(),
                         .return_sequence = get<bool>(j, "return_sequence", false),
                         .forget_bias = get<float>(j, "forget_bias", 0.f)});
       }},
      {"flatten", [](const json&) { return std::make_unique<Flatten>(); }},
      {"add", [](const json&) { return std::make_unique<Add>(); }},
      {"multiply", [](const json&) { return std::make_unique<Multiply>(); }},
      {"concat", [](const json& j) { return std::make_unique<Concat>(get<int>(j, "axis", 1)); }},
      {"center_crop", [](const json&) { return std::make_unique<CenterCrop>(); }},
      {"additive_coupling",
       [](const json& j) {
         return std::make_unique<AdditiveCoupling>(make_module(j.at("f")), make_module(j.at("g")),
                                                   get<bool>(j, "store_activations", false));
       }},
      {"invertible_downsample",
       [](const json& j) {
         return std::make_unique<InvertibleDownsample>(j.at("dims").get<int>(),
                                                       j.at("factor").get<int64_t>(),
                                                       get<bool>(j, "store_activations", false));
       }},
      {"rev_sequence", make_rev_sequence},
      {"sequential", make_sequential},
      {"graph", make_graph},
  };
  return m;
}

}  // namespace

std::unique_ptr<Module> make_module(const json& config) {
  if (!config.is_object() || !config.contains("type"))
    throw std::invalid_argument("module config must be an object with a \"type\"");
  const std::string type = config.at("type").get<std::string>();
  auto it = makers().find(type);
  if (it == makers().end()) throw std::invalid_argument("unknown module type '" + type + "'");
  try {
    return it->second(config);
  } catch (const json::exception& e) {
    throw std::invalid_argument("module '" + type + "': bad config: " + e.what());
  }
}

}  // namespace tessera
