// tessera bench engine: training-step time and memory of fixed U-Nets (see bench/engine.sh).
#include <iostream>

#include "commands.hpp"
#include "tessera/train/benchmark.hpp"

namespace tessera::app {

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks that print one JSON line each");
  bench->require_subcommand(1);
  auto* engine = bench->add_subcommand("engine",
                                       "Time U-Net training steps (forward, loss, "
                                       "backward, SGD momentum)");
  auto o = std::make_shared<EngineBenchOptions>();
  engine->add_option("--model", o->model, "unet2d, unet3d or lstm (12 x S days -> LSTM 64 -> 3)")
      ->check(CLI::IsMember({"unet2d", "unet3d", "lstm"}))
      ->capture_default_str();
  engine->add_option("--batch", o->batch, "batch size")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  engine->add_option("--size", o->size, "spatial edge S (input N x 1 x S x S [x S])")
      ->check(CLI::Range(8, 16384))
      ->capture_default_str();
  engine->add_option("--steps", o->steps, "timed steps")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  engine->add_option("--warmup", o->warmup, "untimed steps before")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  engine->callback([o] { std::cout << run_engine_benchmark(*o).dump() << std::endl; });

  auto* rev = bench->add_subcommand(
      "reversible", "Peak memory and step time of a coupling network, plain and reversible");
  auto r = std::make_shared<ReversibleBenchOptions>();
  rev->add_option("--dims", r->dims, "2 or 3")->check(CLI::IsMember({2, 3}))->capture_default_str();
  rev->add_option("--blocks", r->blocks, "coupling blocks (depth)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  rev->add_option("--channels", r->channels, "channels (even)")
      ->check(CLI::Range(2, 65536))
      ->capture_default_str();
  rev->add_option("--size", r->size, "spatial edge")
      ->check(CLI::Range(4, 16384))
      ->capture_default_str();
  rev->add_option("--batch", r->batch, "batch size")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  rev->add_option("--steps", r->steps, "timed steps")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  rev->callback([r] { std::cout << run_reversible_benchmark(*r).dump() << std::endl; });

  add_bench_tiling_command(*bench);
  add_bench_kfac_command(*bench);
  add_bench_connectomics_command(*bench);
  add_bench_ecology_command(*bench);
}

}  // namespace tessera::app
