// make_optimizer: optimizers by name and settings, for training commands and checkpoints. The
// one place that knows every optimizer, so that no optimizer needs to know another.
#include "optimizer_util.hpp"
#include "tessera/io/json_text.hpp"
#include "tessera/train/kfac.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera {

std::unique_ptr<Optimizer> make_optimizer(const nlohmann::json& config) {
  if (!config.is_object() || !config.contains("type") || !config["type"].is_string())
    throw std::invalid_argument("optimizer config needs a \"type\" string: " + config.dump());
  const std::string type = config["type"];
  const Settings s(config, "optimizer " + type);
  if (type == "sgd") return make_sgd(read_sgd_options(s));
  if (type == "adam" || type == "adamw") return make_adam(read_adam_options(s, type == "adamw"));
  if (type == "kfac") return make_kfac(read_kfac_options(s));
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
    over = parse_json(settings, "optimizer settings");
  } catch (const std::runtime_error&) {
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
