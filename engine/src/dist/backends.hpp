#pragma once
// The communicator backends, each built only when its library is found.
#include <memory>

#include "tessera/dist/communicator.hpp"

namespace tessera {

std::unique_ptr<Communicator> make_local_communicator();
#if TESSERA_HAVE_MPI
std::unique_ptr<Communicator> make_mpi_communicator();
#endif
#if TESSERA_HAVE_NCCL
// Bootstraps over `mpi` (rank 0 makes the NCCL id and broadcasts it) and keeps it for aborts.
std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> mpi);
#endif

}  // namespace tessera
