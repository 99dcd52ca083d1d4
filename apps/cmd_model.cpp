// tessera model init: a U-Net with seeded random weights, saved as a checkpoint (test models,
// or a starting point for training). tessera model inspect: what a checkpoint holds.
#include <iostream>

#include "commands.hpp"
#include "shared_options.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/model/unet.hpp"

namespace tessera::app {

namespace {

struct InitOptions {
  std::string arch = "unet2d";
  std::vector<int64_t> channels = {16, 32, 64};
  int64_t in_channels = 1, out_channels = 1;
  std::string norm = "batch";
  bool reversible = false;
  uint64_t seed = 0;
  std::string output;
};

void init_model(const InitOptions& o) {
  UNetOptions u{.dims = o.arch == "unet3d" ? 3 : 2,
                .in_channels = o.in_channels,
                .out_channels = o.out_channels,
                .channels = o.channels,
                .norm = o.norm == "group"  ? UNetOptions::Norm::group
                        : o.norm == "none" ? UNetOptions::Norm::none
                                           : UNetOptions::Norm::batch,
                .reversible = o.reversible,
                .seed = o.seed};
  auto net = make_unet(u);
  save_checkpoint(o.output, *net, nullptr, 0, {{"created_by", "tessera model init"}});
  std::cout << "wrote " << o.output << ": " << o.arch << (o.reversible ? " (reversible)" : "")
            << ", " << net->parameter_count() << " parameters\n";
}

}  // namespace

void add_model_command(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Create and inspect models");
  model->require_subcommand(1);
  auto* init = model->add_subcommand("init", "Write a U-Net with seeded random weights");
  auto o = std::make_shared<InitOptions>();
  init->add_option("--arch", o->arch, "unet2d or unet3d")
      ->check(CLI::IsMember({"unet2d", "unet3d"}))
      ->capture_default_str();
  add_shared_options(init,
                     {.channels = &o->channels, .seed = &o->seed, .seed_help = "weight seed"});
  init->add_option("--in-channels", o->in_channels, "input channels")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  init->add_option("--out-channels", o->out_channels, "output channels")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  init->add_option("--norm", o->norm, "batch, group or none")
      ->check(CLI::IsMember({"batch", "group", "none"}))
      ->capture_default_str();
  init->add_flag("--reversible", o->reversible, "reversible U-Net (coupling blocks)");
  init->add_option("--output", o->output, "checkpoint to write (.h5)")->required();
  init->callback([o] { init_model(*o); });
  auto* inspect = model->add_subcommand(
      "inspect", "What a checkpoint holds: network, parameters, receptive field, step, settings");
  auto path = std::make_shared<std::string>();
  inspect->add_option("model", *path, "checkpoint (.h5)")->required()->check(CLI::ExistingFile);
  inspect->callback([path] { std::cout << describe_checkpoint(*path).dump(2) << "\n"; });
}

}  // namespace tessera::app
