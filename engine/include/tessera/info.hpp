#pragma once
// What this build of the engine links and runs on, for `tessera info` and benchmark headers.
#include <string>
#include <vector>

namespace tessera {

struct LibraryVersion {
  std::string name;
  std::string version;
};

// oneDNN, HDF5, OpenMP, MPI and CUDA libraries as linked (runtime versions where available).
std::vector<LibraryVersion> engine_library_versions();
std::string cpu_isa();  // the instruction set oneDNN dispatches to, e.g. "avx2"
int engine_threads();   // OpenMP threads the engine uses
bool mpi_built();

// CUDA backend: whether it was built, and a one-line description of devices and libraries.
bool cuda_built();
std::string cuda_summary();

}  // namespace tessera
