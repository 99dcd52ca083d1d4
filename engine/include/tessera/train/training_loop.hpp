#pragma once
// The training loop every application runs, written once: steps with a learning-rate schedule,
// a checkpoint that lets a stopped run continue exactly (weights, optimizer state, step, the
// data order and whatever else the task keeps), written atomically every few minutes and when
// SIGINT or SIGTERM arrives, fine-tuning from another model's weights, progress with rate and
// ETA on a terminal, a per-step history and a validation hook.
//
//   TrainingLoop loop(o.run, net, *opt, comm);  // resumes or fine-tunes as o.run says
//   GradientSync sync(*net, *comm);             // after the loop: resuming replaces `net`
//   loop.run({.steps = 1500,
//             .schedule = {.base_lr = 0.003},
//             .step = [&](int64_t, float lr) { return train_step(*net, *opt, lr, ...); },
//             .save_state = [&] { return TaskState{{{"rng", rng_text(rng)}}}; },
//             .restore_state = [&](const TaskState& s) { restore_rng(rng, s.data.at("rng")); }});
//
// A run that writes `model.h5` keeps its run folder beside it (run_paths): `model.run/` with
// checkpoint.h5, history.csv and loss.png. Under several processes every rank runs the loop,
// all stop together, and rank 0 writes (the ranks' task states are gathered into one file).
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/dist/communicator.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/schedule.hpp"

namespace tessera {

class ProgressLine;

// What a run writes besides its model: "model.h5" -> model.run/{checkpoint.h5, history.csv,
// loss.png}. Known before the first step, so callers can check them with the other outputs.
struct RunPaths {
  std::string folder, checkpoint, history, loss_plot;
  std::vector<std::string> all() const { return {folder, checkpoint, history, loss_plot}; }
};
RunPaths run_paths(const std::string& output);

struct HistoryRow {
  int64_t step = 0;  // steps done, 1 after the first
  double loss = 0, lr = 0;
  double seconds = 0;  // of training since the run began (over every resumed part)
  double validation = std::numeric_limits<double>::quiet_NaN();  // NaN: not validated here
};

// Draws the history as a figure at `png` (formats/ has one; the engine draws nothing itself).
using HistoryPlotter = std::function<void(const std::string& png, const std::vector<HistoryRow>&)>;

// How a run is kept and where it starts from: the settings every training command shares.
struct RunSettings {
  std::string output{};            // the model file the run ends with; "" keeps no run folder
  bool resume = false;             // continue from the run folder's checkpoint, exactly
  std::string init_from{};         // start from this checkpoint's weights (same architecture)
  double checkpoint_minutes = 10;  // between checkpoints (0: only on a signal and at the end)
  int64_t stop_after_steps = 0;    // > 0: stop as if interrupted once this many steps are done
  bool progress = true;            // a progress line with rate and ETA when stderr is a terminal
  std::ostream* log = nullptr;     // "step N  loss L" lines every log_every steps (rank 0)
  int64_t log_every = 25;
  HistoryPlotter plot_history{};  // writes loss.png with history.csv
  // Where the model trains: the loop moves it there once it is built, resumed or fine-tuned
  // (the CPU: it stays on the device it was built on). Batches may stay in host memory
  // (train_step copies them over). With several processes a GPU is one GPU each: rank r takes
  // GPU r mod the GPUs there are, as the NCCL communicator does.
  Device device = Device::cpu();
};

// Adds what a run writing `output` reads and writes besides its data (the checkpoint to start
// from, the run folder) to `paths`, so a command checks them before its first step.
void add_run_paths(CommandPaths& paths, const RunSettings& run, const std::string& output);

// What a task keeps, besides weights and optimizer state, to continue exactly: the data order
// (a sampler's RNG state), early-stopping state, the weights it means to keep, ...
struct TaskState {
  nlohmann::json data = nlohmann::json::object();  // this rank's
  std::map<std::string, Tensor> tensors{};         // rank 0's
};

struct Validation {
  double score = 0;
  bool stop = false;  // end training here (early stopping)
};

struct TrainingTask {
  int64_t steps = 0;  // in all, counting those of a resumed run's earlier parts
  LrSchedule schedule{};
  // Takes step `step` (from 0) at learning rate `lr`; returns the loss (train_step's).
  std::function<float(int64_t step, float lr)> step{};
  std::function<TaskState()> save_state{};
  std::function<void(const TaskState&)> restore_state{};  // on resume, before the first step
  // Called on every rank after every validate_every steps and after the last one.
  std::function<Validation()> validate{};
  int64_t validate_every = 0;  // 0: only after the last step
  std::string validation_name = "validation";
  std::function<void(const HistoryRow&)> on_step{};  // after every step, on rank 0
};

// What tasks that draw crops share: the sampler's draws (its state() and restore(json)) kept in
// checkpoints, so a resumed run sees the same crops.
template <class Sampler>
void keep_sampler_draws(TrainingTask& task, Sampler& sampler) {
  task.save_state = [&sampler] { return TaskState{{{"sampler", sampler.state()}}}; };
  task.restore_state = [&sampler](const TaskState& s) { sampler.restore(s.data.at("sampler")); };
}

// An on_step that calls `progress(step index, loss)` after the first step, every `every`
// steps and after the last (nothing when `progress` is empty).
std::function<void(const HistoryRow&)> report_every(std::function<void(int, float)> progress,
                                                    int64_t steps, int64_t every = 25);

// Thrown on every rank when a signal (or stop_after_steps) ended the run; its checkpoint is
// written. The message says where and how to continue. Only the first rank's copy is meant to
// be shown (`echo()` is true on the others), so a user reads the line once.
class TrainingInterrupted : public std::runtime_error {
 public:
  TrainingInterrupted(int64_t step, int64_t steps, const std::string& checkpoint,
                      bool echo = false);
  int64_t step() const { return step_; }
  bool echo() const { return echo_; }
  int64_t steps() const { return steps_; }
  const std::string& checkpoint() const { return checkpoint_; }

 private:
  int64_t step_, steps_;
  std::string checkpoint_;
  bool echo_;
};

class TrainingLoop {
 public:
  // Checks the settings and makes the run folder (rank 0). With `resume`, `model` becomes the
  // checkpoint's (its architecture must be the one `model` was built with) and the optimizer
  // takes its state; else with `init_from`, `model` takes that checkpoint's weights. Throws
  // SettingError naming the setting when the checkpoint is missing or does not fit.
  TrainingLoop(RunSettings settings, std::unique_ptr<Module>& model, Optimizer& optimizer,
               Communicator* comm = nullptr);

  int64_t first_step() const { return first_step_; }  // 0, or the step resumed at
  const RunPaths& paths() const { return paths_; }

  // Runs steps first_step() .. task.steps - 1 (or to an early stop) and writes the final
  // checkpoint and report. Throws TrainingInterrupted after writing the checkpoint when a
  // signal arrives or stop_after_steps is reached. Returns the whole history.
  std::vector<HistoryRow> run(const TrainingTask& task);

 private:
  void resume_from_checkpoint(std::unique_ptr<Module>& model);
  void save(const TrainingTask& task, int64_t step, bool finished);
  void log_row(const TrainingTask& task, const HistoryRow& row, ProgressLine& progress) const;

  RunSettings s_;
  Optimizer& optimizer_;
  std::unique_ptr<Module>* model_;
  Communicator* comm_;
  RunPaths paths_;
  int64_t first_step_ = 0;
  bool finished_ = false;  // the resumed run had stopped early: nothing left to do
  double seconds_before_ = 0;
  std::vector<HistoryRow> history_;
  nlohmann::json resumed_state_;
  std::map<std::string, Tensor> resumed_tensors_;
};

// A random engine's state as text and back, for TaskState: the same draws follow a restore.
std::string rng_text(const std::mt19937_64& rng);
void restore_rng(std::mt19937_64& rng, const nlohmann::json& text);

}  // namespace tessera
