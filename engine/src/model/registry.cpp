#include "tessera/model/registry.hpp"

#include <functional>
#include <map>
#include <string>

#include "tessera/io/settings.hpp"

#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/rev/reversible.hpp"

namespace tessera {

namespace {

using Maker = std::function<std::unique_ptr<Module>(const Settings&)>;

std::unique_ptr<Module> build(const Settings& config);

// A container's from_config, given build() for its children.
template <typename Container>
Maker container() {
  return [](const Settings& s) { return Container::from_config(s, build); };
}

const std::map<std::string, Maker>& makers() {
  static const std::map<std::string, Maker> m = {
      {"conv", Conv::from_config},
      {"conv_transpose", Conv::from_config},
      {"max_pool", Pool::from_config},
      {"avg_pool", Pool::from_config},
      {"batch_norm", BatchNorm::from_config},
      {"group_norm", GroupNorm::from_config},
      {"activation", Act::from_config},
      {"linear", Linear::from_config},
      {"upsample", Upsample::from_config},
      {"dropout", Dropout::from_config},
      {"softmax", Softmax::from_config},
      {"lstm", Lstm::from_config},
      {"flatten", Flatten::from_config},
      {"add", Add::from_config},
      {"multiply", Multiply::from_config},
      {"concat", Concat::from_config},
      {"center_crop", CenterCrop::from_config},
      {"invertible_downsample", InvertibleDownsample::from_config},
      {"additive_coupling", container<AdditiveCoupling>()},
      {"rev_sequence", container<RevSequence>()},
      {"sequential", container<Sequential>()},
      {"graph", container<Graph>()},
  };
  return m;
}

std::unique_ptr<Module> build(const Settings& config) {
  if (!config.json().is_object()) config.fail("", "a module config must be a mapping");
  const std::string type = config.require<std::string>("type");
  const auto it = makers().find(type);
  if (it == makers().end()) {
    std::string known;
    for (const auto& [name, maker] : makers()) known += (known.empty() ? "" : ", ") + name;
    config.fail("type", "unknown module type '" + type + "'; known: " + known);
  }
  return it->second(config);
}

}  // namespace

std::unique_ptr<Module> make_module(const nlohmann::json& config) {
  return build(Settings(config, "module config"));
}

}  // namespace tessera
