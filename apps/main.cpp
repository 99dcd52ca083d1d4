// tessera: train and run convolutional networks on data larger than the hardware.
// Every error reaches the user as one line, "error: ...", and a non-zero exit; a bad setting
// is named by the flag that sets it (errors.hpp).
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "errors.hpp"
#include "tessera/train/training_loop.hpp"

namespace {
// One write, so that the lines of several MPI ranks sharing a terminal do not interleave.
void report(const std::string& message) {
  std::cerr << ("error: " + message + "\n") << std::flush;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tessera " TESSERA_VERSION
               ": train and run convolutional networks on data larger than memory"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tessera " TESSERA_VERSION);
  tessera::app::add_info_command(app);
  tessera::app::add_bench_command(app);
#ifndef TESSERA_ENGINE_ONLY
  tessera::app::add_demo_command(app);
#endif
  tessera::app::add_model_command(app);
#ifndef TESSERA_ENGINE_ONLY
  tessera::app::add_infer_command(app);
  tessera::app::add_connectomics_command(app);
  tessera::app::add_hydrology_command(app);
  tessera::app::add_ecology_command(app);
  tessera::app::add_materials_command(app);
  tessera::app::add_video_command(app);
#endif
  if (const std::string e = tessera::app::unknown_command(app, argc, argv); !e.empty()) {
    report(e);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    report(std::string(e.what()) + " (see tessera --help)");
    return 2;
  } catch (const tessera::TrainingInterrupted& e) {
    if (!e.echo()) report(tessera::app::error_text(tessera::app::running_command(app), e));
    return 1;
  } catch (const std::exception& e) {
    report(tessera::app::error_text(tessera::app::running_command(app), e));
    return 1;
  }
  return 0;
}
