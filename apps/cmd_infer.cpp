// tessera infer: run a saved model over an image or volume of any size, tile by tile, reading
// and writing region by region, so neither input nor output has to fit in memory.
#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "shared_options.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/tile/tiled.hpp"

namespace tessera::app {

namespace {

struct InferOptions {
  std::string model, input, output;
  std::size_t max_memory = std::size_t(1) << 30;
  std::vector<int64_t> tile;
  bool whole = false, quiet = false;
  Device device = Device::cpu();
};

void infer(const InferOptions& o) {
  CommandPaths paths{.inputs = {{"model", o.model}, {"input", volume_file(o.input)}}};
  add_volume_output(paths, "output", o.output);
  check_outputs_spare_inputs(paths);
  Checkpoint ck = load_checkpoint(o.model);
  move_to(*ck.model, o.device);
  auto source = open_volume(o.input);
  const VolumeInfo info = source->info();
  const auto sink = [&](int64_t channels) { return create_volume(o.output, info, channels); };
  if (o.whole) {
    const Region all = Region::whole(info.size);
    const Tensor y = run_whole(*ck.model, source->read(all));
    auto out = sink(y.dim(1));
    out->write(all, y);
    out->commit();
    if (!o.quiet)
      std::cout << "whole-input inference: " << to_string(info.size) << " -> " << o.output << "\n";
    return;
  }
  const TileOptions t{.tile = Shape(o.tile.begin(), o.tile.end()),
                      .max_memory = o.max_memory,
                      .progress = !o.quiet};
  const TileReport r = run_tiled(*ck.model, *source, sink, t);
  if (!o.quiet)
    std::cout << "tiled inference: " << to_string(info.size) << " in " << r.plan.columns
              << " column(s) of " << to_string(r.plan.input) << ", streamed along axis "
              << r.plan.axis << " " << r.plan.core[size_t(r.plan.axis)] << " rows at a time (halo "
              << to_string(r.plan.field.halo()) << "), peak " << r.peak_bytes / (1 << 20)
              << " MiB, " << r.seconds << " s -> " << o.output << "\n";
}

}  // namespace

void add_infer_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "infer", "Run a saved model over an image or volume, by tiles (exact, memory-bounded)");
  auto o = std::make_shared<InferOptions>();
  cmd->add_option("--model", o->model, "checkpoint (.h5)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--input", o->input,
                  "volume: file.h5:dataset, .nrrd/.mha/.nii/.tif (ITK), geotiff:file.tif, "
                  ".png/.jpg")
      ->required();
  cmd->add_option("--output", o->output, "output in the same forms")->required();
  add_bytes_option(cmd, "--max-memory", o->max_memory, "memory budget for the network, e.g. 2G");
  cmd->add_option("--tile", o->tile, "core tile edge per axis (overrides the budget)")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_flag("--whole", o->whole, "run on the whole input at once (for comparison)");
  cmd->add_flag("--quiet", o->quiet, "no progress or summary");
  add_shared_options(cmd, {.device = &o->device});
  cmd->callback([o] {
    infer(*o);
    if (!o->quiet) std::cerr << device_note(o->device);
  });
}

}  // namespace tessera::app
