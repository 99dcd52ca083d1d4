// tessera demo: the engine end to end on generated data (data/blobs_demo.hpp). Trains a small
// U-Net to segment synthetic blobs, reports loss and pixel accuracy on held-out images, saves a
// checkpoint and checks that the reloaded network predicts the same. Under mpirun each rank
// trains on its share of every batch (data-parallel) and rank 0 reports and writes the
// checkpoint.
#include <iostream>

#include "commands.hpp"
#include "shared_options.hpp"
#include "tessera/data/blobs_demo.hpp"

namespace tessera::app {

namespace {

struct DemoOptions {
  data::BlobsDemoOptions run;
  TrainingOptions training;
};

void run_demo(const DemoOptions& o, Communicator& comm) {
  data::BlobsDemoOptions run = o.run;
  run.optimizer = o.training.optimizer;
  run.optimizer_settings = o.training.settings;
  run.lr = o.training.lr;
  const data::BlobsDemoReport r = data::run_blobs_demo(run, comm, std::cout);
  if (comm.rank() != 0) return;
  std::cout << "loss " << r.first_loss << " -> " << r.last_loss << ", held-out pixel accuracy "
            << r.pixel_accuracy << ", peak engine memory " << r.peak_bytes / 1024 << " KiB\n"
            << "checkpoint " << run.output << " reloaded: max prediction difference "
            << r.reload_difference << "\n";
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Train a small U-Net on generated data, end to end");
  auto o = std::make_shared<DemoOptions>();
  cmd->add_option("--steps", o->run.steps, "training steps")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--size", o->run.size, "image edge (multiple of 4)")
      ->check(CLI::Range(8, 4096))
      ->capture_default_str();
  cmd->add_option("--output", o->run.output, "checkpoint to write")->capture_default_str();
  cmd->add_flag("--reversible", o->run.reversible,
                "reversible U-Net: coupling blocks rebuild their activations in backward");
  add_shared_options(cmd,
                     {.training = &o->training, .run = &o->run.run, .device = &o->run.run.device});
  cmd->callback([cmd, o] {
    run_with_communicator(*cmd, o->training, [&](Communicator& comm) { run_demo(*o, comm); });
    std::cerr << device_note(o->run.run.device);
  });
}

}  // namespace tessera::app
