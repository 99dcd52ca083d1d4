// tessera bench: the benchmarks of tessera_bench (bench/), each printing its result: one JSON
// line (engine, reversible, tiling), a Markdown table (kfac, connectomics) or the scores
// (ecology-baseline). bench/*.sh run them and write bench/results/.
#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "shared_options.hpp"
#include "tessera/bench/engine.hpp"
#include "tessera/bench/layers.hpp"
#ifndef TESSERA_ENGINE_ONLY
#include "tessera/bench/connectomics.hpp"
#include "tessera/bench/ecology_baseline.hpp"
#include "tessera/bench/kfac.hpp"
#include "tessera/bench/tiling.hpp"
#endif

namespace tessera::app {

using namespace tessera::bench;

namespace {

void add_engine(CLI::App* bench) {
  auto* cmd = bench->add_subcommand("engine",
                                    "Time training steps of a fixed network (forward, "
                                    "loss, backward, SGD momentum)");
  auto o = std::make_shared<EngineBenchOptions>();
  cmd->add_option("--model", o->model,
                  "unet2d, unet3d, lstm (12 x S days -> LSTM 64 -> 3), affinity3d (the "
                  "connectomics affinity U-Net) or reversible3d (64 couplings of 16 channels, "
                  "trained reversibly)")
      ->check(CLI::IsMember({"unet2d", "unet3d", "lstm", "affinity3d", "reversible3d"}))
      ->capture_default_str();
  add_shared_options(cmd, {.batch = &o->batch,
                           .precision = &o->precision,
                           .device = &o->device,
                           .batch_help = "batch size"});
  cmd->add_option("--size", o->size, "spatial edge S (input N x 1 x S x S [x S])")
      ->check(CLI::Range(8, 16384))
      ->capture_default_str();
  cmd->add_option("--depth", o->depth, "3D models: first edge D (input N x 1 x D x S x S; 0: S)")
      ->check(CLI::Range(0, 16384))
      ->capture_default_str();
  cmd->add_option("--steps", o->steps, "timed steps")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_flag("--reversible", o->reversible,
                "unet2d, unet3d: the reversible U-Net (stages rebuilt in backward, not stored)");
  cmd->add_option("--warmup", o->warmup, "untimed steps before")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->callback([o] {
    std::cout << run_engine_benchmark(*o).dump() << std::endl;
    std::cerr << device_note(o->device) << std::flush;
  });
}

void add_reversible(CLI::App* bench) {
  auto* cmd = bench->add_subcommand(
      "reversible", "Peak memory and step time of a coupling network, plain and reversible");
  auto o = std::make_shared<ReversibleBenchOptions>();
  cmd->add_option("--dims", o->dims, "2 or 3")->check(CLI::IsMember({2, 3}))->capture_default_str();
  cmd->add_option("--blocks", o->blocks, "coupling blocks (depth)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  // One width for every block, not the U-Net's per-level list of --channels elsewhere.
  cmd->add_option("--channels", o->channels, "channels (even)")
      ->check(CLI::Range(2, 65536))
      ->capture_default_str();
  cmd->add_option("--size", o->size, "spatial edge")
      ->check(CLI::Range(4, 16384))
      ->capture_default_str();
  add_shared_options(cmd, {.batch = &o->batch, .device = &o->device, .batch_help = "batch size"});
  cmd->add_option("--steps", o->steps, "timed steps")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->callback([o] {
    std::cout << run_reversible_benchmark(*o).dump() << std::endl;
    std::cerr << device_note(o->device) << std::flush;
  });
}

// Benchmarks that read or write files through formats/ or run a domain: the full build only.
#ifndef TESSERA_ENGINE_ONLY
void add_tiling(CLI::App* bench) {
  auto* cmd = bench->add_subcommand(
      "tiling", "Tiled (or whole) U-Net inference over a generated HDF5 volume on disk");
  auto o = std::make_shared<TilingBenchOptions>();
  cmd->add_option("--dims", o->dims, "2 or 3")->check(CLI::IsMember({2, 3}))->capture_default_str();
  cmd->add_option("--size", o->size, "volume edge")
      ->check(CLI::Range(8, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--depth", o->depth, "length of the first axis (default: --size)")
      ->check(CLI::Range(int64_t{8}, int64_t{1} << 20));
  add_bytes_option(cmd, "--max-memory", o->max_memory, "budget for the network, e.g. 256M");
  cmd->add_flag("--whole", o->whole, "whole-input inference instead of tiles");
  cmd->add_option("--dir", o->dir, "folder for the temporary volumes")
      ->check(CLI::ExistingDirectory)
      ->capture_default_str();
  cmd->add_flag("--generated", o->generated,
                "no files: the volume computed as it is read and the output summed as it is "
                "written (volumes larger than the disk, or than a GPU's memory)");
  add_shared_options(cmd, {.device = &o->device});
  cmd->callback([o] {
    std::cout << run_tiling_benchmark(*o).dump() << std::endl;
    std::cerr << device_note(o->device) << std::flush;
  });
}

void add_kfac(CLI::App* bench) {
  auto* cmd = bench->add_subcommand(
      "kfac", "Epochs and time to a validation loss with SGD, Adam and K-FAC (ISBI 2012)");
  auto o = std::make_shared<KfacBenchOptions>();
  cmd->add_option("--raw", o->raw, "EM stack (volume spec), e.g. isbi2012_train_volume.tif")
      ->required();
  cmd->add_option("--labels", o->labels, "labels: 0 membrane, 255 cell")->required();
  cmd->add_option("--optimizers", o->optimizers, "optimizers to compare")
      ->check(CLI::IsMember({"sgd", "adam", "kfac"}))
      ->delimiter(',');
  cmd->add_option("--target", o->target, "validation BCE to reach")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-epochs", o->max_epochs, "give up after")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--validation-slices", o->validation_slices, "last slices held out")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--lr", o->lr, "learning rates, e.g. sgd=0.1,kfac=0.02 (default: each one's)")
      ->delimiter(',')
      ->check([](const std::string& v) {
        return v.find('=') == std::string::npos ? std::string("expected NAME=VALUE")
                                                : std::string();
      });
  cmd->add_option("--kfac-settings", o->kfac_settings, "JSON over K-FAC's default settings");
  cmd->add_option("--markdown", o->markdown, "write the table here");
  cmd->add_option("--plot", o->plot, "write the loss curves here (PNG)");
  add_shared_options(cmd, {.device = &o->device});
  cmd->callback([o] {
    o->log = &std::cout;
    std::cout << "\n" << run_kfac_benchmark(*o);
    std::cerr << device_note(o->device) << std::flush;
  });
}

void add_connectomics(CLI::App* bench) {
  auto* cmd = bench->add_subcommand(
      "connectomics", "Learned segmentation against the watershed baseline on a real EM volume");
  auto o = std::make_shared<ConnectomicsBenchOptions>();
  auto split_to = std::make_shared<std::string>();
  cmd->add_option("--raw", o->split.raw, "raw EM volume, e.g. fibsem_train.h5:volumes/raw")
      ->required();
  cmd->add_option("--labels", o->split.labels, "true ids (0 = boundary / unlabelled)")->required();
  cmd->add_option("--test-slices", o->split.test_slices, "last z slices held out for scoring")
      ->check(CLI::Range(int64_t{4}, int64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--split-to", *split_to,
                  "only write the training and test slices to this folder (train.h5, test.h5)");
  cmd->add_option("--segmentation", o->segmentation,
                  "the learned segmentation of the test slices, to score against the baseline");
  cmd->add_option("--thresholds", o->thresholds, "the baseline's thresholds to choose from")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--markdown", o->markdown, "write the table here");
  cmd->callback([o, split_to] {
    if (!split_to->empty())
      std::cout << write_connectomics_split(o->split, *split_to) << "\n";
    else
      std::cout << run_connectomics_benchmark(*o);
  });
}

void add_ecology_baseline(CLI::App* bench) {
  auto* cmd = bench->add_subcommand(
      "ecology-baseline", "The threshold baseline, tuned on training photos, scored on held-out");
  auto o = std::make_shared<EcologyBaselineOptions>();
  cmd->add_option("--images", o->images, "folder of photos")->required();
  cmd->add_option("--train", o->train, "COCO annotations the settings are chosen on")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--test", o->test, "COCO annotations scored")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--min-areas", o->min_areas, "component areas to choose from, px")
      ->delimiter(',')
      ->check(CLI::Range(1.0, 1e7))
      ->capture_default_str();
  cmd->add_option("--output", o->output, "write the scores here as JSON");
  cmd->callback([o] {
    o->log = &std::cerr;
    std::cout << run_ecology_baseline(*o).dump(2) << "\n";
  });
}

#endif  // TESSERA_ENGINE_ONLY

void add_layers(CLI::App* bench) {
  auto* cmd = bench->add_subcommand(
      "layers",
      "Forward, input and weight gradient of single layers over the applications' shapes, "
      "GFLOP/s and share of the measured peak (one JSON line each)");
  auto o = std::make_shared<LayerBenchOptions>();
  cmd->add_flag("--quick", o->quick, "a few small rows (smoke test)");
  cmd->add_option("--repeats", o->repeats, "timed calls per pass (median)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--layer", o->layer, "only this layer")
      ->check(CLI::IsMember({"conv", "conv_transpose", "max_pool", "batch_norm_relu"}));
  cmd->add_option("--dims", o->dims, "only 2D or 3D rows")->check(CLI::IsMember({2, 3}));
  cmd->add_flag("--bf16", o->bf16, "also each convolution in bf16, against a bf16 matrix product");
  cmd->callback([o] { run_layer_benchmark(*o, std::cout); });
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks that print one JSON line each");
  bench->require_subcommand(1);
  add_engine(bench);
  add_reversible(bench);
  add_layers(bench);
#ifndef TESSERA_ENGINE_ONLY
  add_tiling(bench);
  add_kfac(bench);
  add_connectomics(bench);
  add_ecology_baseline(bench);
#endif
}

}  // namespace tessera::app
