#pragma once
// make_module: the inverse of Module::config(), so a checkpoint rebuilds its network without the
// code that made it. The registry knows every layer and container by its type name; each reads
// its own settings (from_config, next to its config()) and refuses unknown ones.
//
//   std::unique_ptr<Module> net = make_module(checkpoint.architecture);
#include <memory>

#include <nlohmann/json.hpp>

#include "tessera/nn/module.hpp"

namespace tessera {

// Rebuilds a module (any layer or container) with fresh parameters; throws
// std::invalid_argument naming the setting for unknown types, unknown or missing settings.
std::unique_ptr<Module> make_module(const nlohmann::json& config);

}  // namespace tessera
