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
// Whether convolutions can compute in bf16 here (ConvParams::compute): natively on
// avx512_core_bf16 and newer, emulated by oneDNN on plain AVX-512 (slower than f32 there).
bool bf16_supported();
bool bf16_native();
bool mpi_built();

// CUDA backend: whether it was built, and a one-line description of devices and libraries.
bool cuda_built();
std::string cuda_summary();
// GPUs the CUDA backend can use: 0 in a build without it or on a machine without a GPU.
int cuda_devices();

}  // namespace tessera
