#pragma once
// The options every training command shares: the optimizer, its learning rate, and how the
// processes of a multi-process run talk. One place, so every command offers the same.
#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tessera/dist/communicator.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera::app {

struct TrainingOptions {
  std::string optimizer = "adam";  // sgd | adam | kfac
  double lr = 0;                   // 0: the optimizer's default (default_learning_rate)
  std::string settings;            // JSON object of optimizer settings over the defaults
  std::string communicator = "auto";
};

// Adds --optimizer, --lr, --optimizer-settings and --communicator to `cmd`.
void add_training_options(CLI::App* cmd, TrainingOptions& o);

// --lr, or the optimizer's default learning rate.
double learning_rate(const TrainingOptions& o);

// Makes the communicator and runs `train` with it. An error on one rank of several ends every
// rank (rather than leaving the others waiting in a collective) after printing it once.
void run_with_communicator(const TrainingOptions& o,
                           const std::function<void(Communicator&)>& train);

}  // namespace tessera::app
