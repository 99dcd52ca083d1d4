#include "training_options.hpp"

#include <iostream>

#include "tessera/train/kfac.hpp"

namespace tessera::app {

void add_training_options(CLI::App* cmd, TrainingOptions& o) {
  cmd->add_option("--optimizer", o.optimizer,
                  "sgd (momentum 0.9), adam, or kfac (K-FAC: Kronecker-factored curvature)")
      ->check(CLI::IsMember({"sgd", "adam", "kfac"}))
      ->capture_default_str();
  cmd->add_option("--lr", o.lr, "learning rate (default: sgd 0.05, adam 0.003, kfac 0.02)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--optimizer-settings", o.settings,
                  "JSON over the optimizer's defaults, e.g. '{\"damping\": 0.01}' for kfac");
  cmd->add_option("--communicator", o.communicator,
                  "auto (MPI under mpirun, else one process), local, mpi, nccl")
      ->check(CLI::IsMember({"auto", "local", "mpi", "nccl"}))
      ->capture_default_str();
}

double default_lr(const std::string& optimizer) {
  if (optimizer == "adam") return 3e-3;
  if (optimizer == "kfac") return 0.02;
  return 0.05;  // sgd with momentum
}

double learning_rate(const TrainingOptions& o) {
  return o.lr > 0 ? o.lr : default_lr(o.optimizer);
}

std::unique_ptr<Optimizer> make_training_optimizer(const std::string& name,
                                                   const std::string& settings) {
  nlohmann::json config;
  if (name == "sgd")
    config = make_sgd({.momentum = 0.9f})->config();
  else if (name == "adam")
    config = make_adam({})->config();
  else if (name == "kfac")
    config = make_kfac({})->config();
  else
    throw std::invalid_argument("unknown optimizer '" + name + "'; known: sgd, adam, kfac");
  if (!settings.empty()) {
    nlohmann::json over;
    try {
      over = nlohmann::json::parse(settings);
    } catch (const nlohmann::json::parse_error&) {
      throw std::invalid_argument("--optimizer-settings is not JSON: " + settings);
    }
    if (!over.is_object())
      throw std::invalid_argument("--optimizer-settings must be a JSON object: " + settings);
    for (auto& [key, value] : over.items()) {
      if (key == "type")
        throw std::invalid_argument("--optimizer-settings: use --optimizer to choose the type");
      config[key] = value;
    }
  }
  return make_optimizer(config);
}

void run_with_communicator(const TrainingOptions& o,
                           const std::function<void(Communicator&)>& train) {
  auto comm = make_communicator(o.communicator);
  try {
    train(*comm);
  } catch (const std::exception& e) {
    if (comm->size() == 1) throw;
    std::cerr << "error: rank " << comm->rank() << ": " << e.what() << std::endl;
    comm->abort(1);
    throw;
  }
}

}  // namespace tessera::app
