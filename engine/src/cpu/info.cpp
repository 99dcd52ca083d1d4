#include "tessera/info.hpp"

#include <H5public.h>
#include <omp.h>

#include <dnnl.hpp>
#include <nlohmann/json.hpp>
#ifdef TESSERA_HAVE_MPI
#include <mpi.h>
#endif

// LAPACK's own version query (Fortran symbol).
extern "C" void ilaver_(int* major, int* minor, int* patch);

namespace tessera {

namespace {
std::string dotted(long a, long b, long c) {
  return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c);
}
}  // namespace

std::vector<LibraryVersion> engine_library_versions() {
  const dnnl_version_t* v = dnnl_version();
  std::vector<LibraryVersion> out;
  out.push_back({"oneDNN", dotted(v->major, v->minor, v->patch) + " (" +
                               (v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other") +
                               " runtime)"});
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  out.push_back({"HDF5", dotted(maj, min, rel)});
  int la = 0, lb = 0, lc = 0;
  ilaver_(&la, &lb, &lc);
  out.push_back({"LAPACK", dotted(la, lb, lc)});
  out.push_back({"nlohmann-json", dotted(NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                                         NLOHMANN_JSON_VERSION_PATCH)});
  out.push_back({"OpenMP", std::to_string(_OPENMP)});
#ifdef TESSERA_HAVE_MPI
  char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(mpi, &len);
  std::string first_line(mpi, static_cast<size_t>(len));
  out.push_back({"MPI", first_line.substr(0, first_line.find_first_of(",\n"))});
#endif
  return out;
}

std::string cpu_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41:
      return "sse41";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "other";
  }
}

bool bf16_native() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

bool bf16_supported() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return bf16_native() || isa == dnnl::cpu_isa::avx512_core ||
         isa == dnnl::cpu_isa::avx512_core_vnni;
}

int engine_threads() {
  return omp_get_max_threads();
}

bool mpi_built() {
#ifdef TESSERA_HAVE_MPI
  return true;
#else
  return false;
#endif
}

}  // namespace tessera
