// tessera demo: the engine end to end on generated data. Trains a small U-Net to segment
// synthetic blobs, reports loss and pixel accuracy on held-out images, saves a checkpoint and
// checks that the reloaded network predicts the same. Under mpirun each rank trains on its share
// of every batch (data-parallel) and rank 0 reports and writes the checkpoint.
#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "shared_options.hpp"
#include "tessera/data/blobs.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/schedule.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera::app {

namespace {

struct DemoOptions {
  int steps = 150;
  int64_t size = 32;
  std::string output = "tessera_demo_unet.h5";
  bool reversible = false;
  TrainingOptions training;
};

double pixel_accuracy(const Tensor& logits, const Tensor& mask) {
  const Tensor p = logits.to_plain();
  int64_t right = 0;
  for (int64_t i = 0; i < p.numel(); ++i) right += (p.data()[i] > 0.f) == (mask.data()[i] > 0.5f);
  return static_cast<double>(right) / static_cast<double>(p.numel());
}

void run_demo(const DemoOptions& o, Communicator& comm) {
  auto net = make_unet({.dims = 2, .channels = {8, 16, 32}, .reversible = o.reversible, .seed = 1});
  auto opt = make_optimizer(o.training.optimizer, o.training.settings);
  GradientSync sync(*net, comm);
  const LrSchedule schedule{.kind = LrSchedule::Kind::cosine,
                            .base_lr = learning_rate(o.training),
                            .warmup_steps = 10,
                            .total_steps = o.steps};
  const bool report = comm.rank() == 0;
  // Equal shards: the mean of the ranks' mean gradients is the batch's only then.
  const int64_t batch_size = (4 + comm.size() - 1) / comm.size() * comm.size();
  const Shard mine = shard_of(batch_size, comm.rank(), comm.size());
  const auto held_out = data::make_blobs({.batch = 8, .size = o.size, .seed = 999});
  if (report)
    std::cout << "training a " << net->parameter_count() << "-parameter "
              << (o.reversible ? "reversible " : "") << "U-Net on synthetic blobs with "
              << o.training.optimizer << " (" << o.steps << " steps of " << batch_size << " images "
              << o.size << "x" << o.size
              << (comm.size() > 1 ? ", data-parallel over " + std::to_string(comm.size()) + " " +
                                        comm.backend() + " ranks"
                                  : "")
              << ")\n";
  float first = 0.f, last = 0.f;
  for (int step = 0; step < o.steps; ++step) {
    // Each step's batch comes from its own seed: training is a pure function of the step, and
    // each rank makes the whole batch and keeps its own shard of it.
    const auto batch =
        data::make_blobs({.batch = batch_size, .size = o.size, .seed = uint64_t(step)});
    const Tensor image = take_shard(batch.image, mine), mask = take_shard(batch.mask, mine);
    last = train_step(
        *net, *opt, static_cast<float>(schedule.lr_at(step)), image,
        [&](const Tensor& y) { return bce_with_logits_loss(y, mask); }, &sync);
    if (step == 0) first = last;
    if (report && (step % 25 == 0 || step + 1 == o.steps))
      std::cout << "  step " << step << "  loss " << last << "\n";
  }
  if (!report) return;  // one checkpoint, written by rank 0
  const Tensor pred = net->forward(held_out.image, Mode::eval);
  const double acc = pixel_accuracy(pred, held_out.mask);
  std::cout << "loss " << first << " -> " << last << ", held-out pixel accuracy " << acc
            << ", peak engine memory " << memory_stats().peak_bytes / 1024 << " KiB\n";

  save_checkpoint(o.output, *net, opt.get(), o.steps, {{"demo", "blobs"}});
  Checkpoint ck = load_checkpoint(o.output);
  const Tensor again = ck.model->forward(held_out.image, Mode::eval).to_plain();
  const Tensor p = pred.to_plain();
  float diff = 0.f;
  for (int64_t i = 0; i < p.numel(); ++i)
    diff = std::max(diff, std::abs(p.data()[i] - again.data()[i]));
  std::cout << "checkpoint " << o.output << " reloaded: max prediction difference " << diff << "\n";
  if (diff != 0.f) throw std::runtime_error("reloaded checkpoint predicts differently");
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Train a small U-Net on generated data, end to end");
  auto o = std::make_shared<DemoOptions>();
  cmd->add_option("--steps", o->steps, "training steps")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--size", o->size, "image edge (multiple of 4)")
      ->check(CLI::Range(8, 4096))
      ->capture_default_str();
  cmd->add_option("--output", o->output, "checkpoint to write")->capture_default_str();
  cmd->add_flag("--reversible", o->reversible,
                "reversible U-Net: coupling blocks rebuild their activations in backward");
  add_shared_options(cmd, {.training = &o->training});
  cmd->callback([o] {
    if (o->size % 4) throw std::invalid_argument("--size must be a multiple of 4");
    run_with_communicator(o->training, [&](Communicator& comm) { run_demo(*o, comm); });
  });
}

}  // namespace tessera::app
