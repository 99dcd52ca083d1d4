// tessera info: versions of every linked library, the CPU ISA oneDNN uses, threads, and which
// optional backends were built.
#include <iostream>

#include "commands.hpp"
#include "tessera/info.hpp"
#ifndef TESSERA_ENGINE_ONLY
#include "tessera/connectomics/connectomics.hpp"
#include "tessera/ecology/ecology.hpp"
#include "tessera/hydrology/hydrology.hpp"
#endif

namespace tessera::app {

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Show library versions, CPU ISA, threads and backends");
  cmd->callback([] {
    std::cout << "tessera " << TESSERA_VERSION << "\n";
    for (const auto& lib : engine_library_versions())
      std::cout << "  " << lib.name << ": " << lib.version << "\n";
#ifdef TESSERA_ENGINE_ONLY
    std::cout << "  domains: not built (engine-only build)\n";
#else
    std::cout << "  connectomics: " << connectomics::library_versions() << "\n"
              << "  ecology, materials, video: " << ecology::library_versions() << "\n"
              << "  hydrology: " << hydrology::library_versions() << "\n";
#endif
    std::cout << "  CLI11: " << CLI11_VERSION << "\n"
              << "CPU ISA (oneDNN): " << cpu_isa() << "\n"
              << "bf16 (--precision bf16): "
              << (bf16_native()      ? "native"
                  : bf16_supported() ? "emulated (slower)"
                                     : "no")
              << "\n"
              << "threads: " << engine_threads() << "\n"
              << "MPI: " << (mpi_built() ? "built" : "not built") << "\n"
              << "CUDA: " << cuda_summary() << "\n";
  });
}

}  // namespace tessera::app
