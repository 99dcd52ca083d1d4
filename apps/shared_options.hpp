#pragma once
// The options several commands share: crops (--patch, --batch), the network (--channels), the
// seed, and the optimizer with its learning rate and how the processes of a multi-process run
// talk. Registered in one place, so every command spells, checks and describes them the same;
// each command keeps its own defaults (the values its fields hold when registered).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tessera/dist/communicator.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::app {

struct TrainingOptions {
  std::string optimizer = "adam";  // sgd | adam | kfac
  double lr = 0;                   // 0: the optimizer's default (default_learning_rate)
  std::string settings;            // JSON object of optimizer settings over the defaults
  std::string communicator = "auto";
};

// The fields of a command's options that the shared flags set; a null one is not offered.
struct SharedOptions {
  int64_t* patch = nullptr;                   // --patch EDGE: square crops, px
  std::vector<int64_t>* patch_zyx = nullptr;  // --patch z,y,x: crops of a volume
  int64_t* batch = nullptr;                   // --batch
  std::vector<int64_t>* channels = nullptr;   // --channels: the U-Net's, per level
  uint64_t* seed = nullptr;                   // --seed
  TrainingOptions* training = nullptr;  // --optimizer, --lr, --optimizer-settings, --communicator
  // --resume, --init-from, --checkpoint-minutes (and the hidden --stop-after-steps); the run's
  // loss curve is drawn with formats/ (write_history_plot).
  RunSettings* run = nullptr;
  // --precision f32|bf16: the type the network's convolutions multiply in (training keeps
  // float32 weights either way; see ConvParams::compute).
  DataType* precision = nullptr;
  // --device cpu|cuda[:N]|auto: where the command computes, resolved (parse_device) as the
  // command line is read, "auto" when it is not given, so a bad value errs before any work.
  Device* device = nullptr;
  const char* batch_help = "crops per step";
  const char* seed_help = "random seed";
};

void add_shared_options(CLI::App* cmd, const SharedOptions& o);

// loss.png of a run folder: the loss per step, and the validation score where there is one (not
// in an engine-only build, which has no formats/).
void write_history_plot(const std::string& png, const std::vector<HistoryRow>& history);

// One line for standard error: which device ran, and for the CPU of a machine without a usable
// GPU, why. Commands print it after their work, so a refused setting still errs in one line.
std::string device_note(Device used);

// --lr, or the optimizer's default learning rate.
double learning_rate(const TrainingOptions& o);

// Makes the communicator and runs `train` with it. An error on one rank of several ends every
// rank (rather than leaving the others waiting in a collective) after printing it once, in the
// words of `command`'s flags.
void run_with_communicator(const CLI::App& command, const TrainingOptions& o,
                           const std::function<void(Communicator&)>& train);

}  // namespace tessera::app
