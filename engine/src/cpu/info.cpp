#include "tessera/info.hpp"

#include <H5public.h>
#include <omp.h>

#include <dnnl.hpp>
#ifdef TESSERA_HAVE_MPI
#include <mpi.h>
#endif

namespace tessera {

std::vector<LibraryVersion> engine_library_versions() {
  const dnnl_version_t* v = dnnl_version();
  std::vector<LibraryVersion> out;
  out.push_back({"oneDNN", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                               std::to_string(v->patch)});
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  out.push_back({"HDF5", std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel)});
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
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

int engine_threads() { return omp_get_max_threads(); }

bool mpi_built() {
#ifdef TESSERA_HAVE_MPI
  return true;
#else
  return false;
#endif
}

}  // namespace tessera
