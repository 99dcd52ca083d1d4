#pragma once
// Reading settings from JSON (optimizer and schedule configs, checkpoints, app configs): a setting
// of the wrong type is an error naming it, and an absent one keeps the default.
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace tessera {

// Reads config[key] into `field` when present; the option struct's default stays otherwise.
// `what` names the settings in the error ("optimizer", "learning-rate schedule").
template <typename T>
void read(const nlohmann::json& config, const char* key, T& field, const char* what = "optimizer") {
  if (!config.contains(key)) return;
  try {
    field = config[key].get<T>();
  } catch (const nlohmann::json::type_error&) {
    throw std::invalid_argument(std::string(what) + " setting '" + key +
                                "' has the wrong type: " + config[key].dump());
  }
}

}  // namespace tessera
