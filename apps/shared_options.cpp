#include "shared_options.hpp"

#include <cmath>
#include <iostream>

#include "errors.hpp"
#ifndef TESSERA_ENGINE_ONLY
#include "tessera/formats/line_plot.hpp"
#endif
#include "tessera/info.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera::app {

namespace {

constexpr int64_t kMaxEdge = 4096;

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

void add_run_options(CLI::App* cmd, RunSettings& r) {
  cmd->add_flag("--resume", r.resume,
                "continue an interrupted run from its checkpoint (in <output>.run/), exactly");
  cmd->add_option("--init-from", r.init_from,
                  "start from this model's or checkpoint's weights (fine-tuning; the same "
                  "architecture)");
  cmd->add_option("--checkpoint-minutes", r.checkpoint_minutes,
                  "minutes between checkpoints in <output>.run/ (0: only on Ctrl-C and at the end)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  // For tests: stop as Ctrl-C would once this many steps are done.
  cmd->add_option("--stop-after-steps", r.stop_after_steps)
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->group("");
#ifndef TESSERA_ENGINE_ONLY
  r.plot_history = write_history_plot;
#endif
}

void add_precision_option(CLI::App* cmd, DataType& precision) {
  cmd->add_option_function<std::string>(
         "--precision",
         [&precision](const std::string& v) {
           if (v == "bf16" && !bf16_supported())
             throw CLI::ValidationError("--precision",
                                        "bf16 needs a CPU with AVX-512, which this one lacks; "
                                        "use f32");
           precision = v == "bf16" ? DataType::bf16 : DataType::f32;
         },
         "f32, or bf16: convolutions multiply in bfloat16 and sum in float32 (faster on CPUs "
         "with AVX512-BF16)")
      ->check(CLI::IsMember({"f32", "bf16"}))
      ->default_str("f32");
}

}  // namespace

#ifndef TESSERA_ENGINE_ONLY
void write_history_plot(const std::string& png, const std::vector<HistoryRow>& history) {
  LinePlot plot{.title = "training", .x_label = "step", .y_label = "loss"};
  LineSeries loss{"loss", {}, {}}, validation{"validation", {}, {}};
  for (const HistoryRow& row : history) {
    loss.x.push_back(double(row.step)), loss.y.push_back(row.loss);
    if (std::isnan(row.validation)) continue;
    validation.x.push_back(double(row.step)), validation.y.push_back(row.validation);
  }
  plot.series.push_back(std::move(loss));
  if (!validation.x.empty()) plot.series.push_back(std::move(validation));
  write_line_plot(png, plot);
}
#endif

std::string device_note(Device used) {
  std::string why;
  if (used.is_host() && cuda_devices() == 0)
    why = cuda_built() ? " (no usable GPU)" : " (built without CUDA)";
  return "device: " + to_string(used) + why + "\n";
}

void add_shared_options(CLI::App* cmd, const SharedOptions& o) {
  if (o.patch)
    cmd->add_option("--patch", *o.patch, "crop edge, px (a multiple of 2^(levels-1))")
        ->check(CLI::Range(int64_t{16}, kMaxEdge))
        ->capture_default_str();
  if (o.patch_zyx)
    cmd->add_option("--patch", *o.patch_zyx, "crop z,y,x (multiples of 4)")
        ->delimiter(',')
        ->expected(3)
        ->check(CLI::Range(int64_t{4}, kMaxEdge))
        ->capture_default_str();
  if (o.batch)
    cmd->add_option("--batch", *o.batch, o.batch_help)
        ->check(CLI::Range(int64_t{1}, kMaxEdge))
        ->capture_default_str();
  if (o.channels)
    cmd->add_option("--channels", *o.channels, "U-Net channels per level, top to bottom")
        ->delimiter(',')
        ->check(CLI::Range(int64_t{1}, int64_t{65536}))
        ->capture_default_str();
  if (o.seed) cmd->add_option("--seed", *o.seed, o.seed_help)->capture_default_str();
  if (o.training) add_training_options(cmd, *o.training);
  if (o.run) add_run_options(cmd, *o.run);
  if (o.precision) add_precision_option(cmd, *o.precision);
  if (o.device)
    cmd->add_option_function<std::string>(
           "--device",
           [device = o.device](const std::string& name) { *device = parse_device(name); },
           "cpu, cuda (GPU 0), cuda:N, or auto: the first usable GPU, else the CPU")
        ->default_str("auto")
        ->force_callback();
}

double learning_rate(const TrainingOptions& o) {
  return o.lr > 0 ? o.lr : default_learning_rate(o.optimizer);
}

void run_with_communicator(const CLI::App& command, const TrainingOptions& o,
                           const std::function<void(Communicator&)>& train) {
  auto comm = make_communicator(o.communicator);
  try {
    train(*comm);
  } catch (const TrainingInterrupted&) {
    throw;  // every rank stops here together, the checkpoint written: nothing to end
  } catch (const std::exception& e) {
    if (comm->size() == 1) throw;
    std::cerr << "error: rank " << comm->rank() << ": " << error_text(command, e) << std::endl;
    comm->abort(1);
    throw;
  }
}

}  // namespace tessera::app
