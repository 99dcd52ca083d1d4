#pragma once
// Each file cmd_<name>.cpp adds one subcommand (group) to the program.
#include <CLI/CLI.hpp>

namespace tessera::app {

void add_info_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_video_command(CLI::App& app);
void add_connectomics_command(CLI::App& app);
void add_hydrology_command(CLI::App& app);
void add_ecology_command(CLI::App& app);
void add_materials_command(CLI::App& app);
void add_model_command(CLI::App& app);
void add_infer_command(CLI::App& app);

}  // namespace tessera::app
