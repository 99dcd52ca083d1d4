#include "training_options.hpp"

#include <iostream>

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

double learning_rate(const TrainingOptions& o) {
  return o.lr > 0 ? o.lr : default_learning_rate(o.optimizer);
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
