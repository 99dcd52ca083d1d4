#include "tessera/dist/communicator.hpp"

#include <cstdlib>
#include <stdexcept>

#include "backends.hpp"

namespace tessera {

namespace {

// A reduction that was already done when it was started.
class CompletedReduce final : public PendingReduce {
 public:
  bool test() override { return true; }
  void wait() override {}
};

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "local"; }
  void allreduce_sum(float*, int64_t) override {}
  void broadcast(float*, int64_t, int root) override {
    if (root != 0)
      throw std::invalid_argument("broadcast from rank " + std::to_string(root) +
                                  " in a single-process run");
  }
  void allgather(const float* data, int64_t n, float* out) override {
    std::copy(data, data + n, out);
  }
  void barrier() override {}
};

// Whether a launcher (mpirun, mpiexec, srun) started this process as one rank of several.
bool started_by_mpi_launcher() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(var)) return true;
  return false;
}

}  // namespace

std::unique_ptr<PendingReduce> Communicator::start_allreduce_sum(float* data, int64_t n) {
  allreduce_sum(data, n);
  return std::make_unique<CompletedReduce>();
}

void Communicator::allreduce_mean(float* data, int64_t n) {
  if (size() == 1) return;
  allreduce_sum(data, n);
  const float inv = 1.f / static_cast<float>(size());
  for (int64_t i = 0; i < n; ++i) data[i] *= inv;
}

float Communicator::allreduce_mean(float value) {
  allreduce_mean(&value, 1);
  return value;
}

std::unique_ptr<Communicator> make_local_communicator() {
  return std::make_unique<LocalCommunicator>();
}

std::unique_ptr<Communicator> make_communicator(const std::string& backend) {
  if (backend == "local") return make_local_communicator();
  if (backend == "auto") return make_communicator(started_by_mpi_launcher() ? "mpi" : "local");
#if TESSERA_HAVE_MPI
  if (backend == "mpi") return make_mpi_communicator();
#endif
#if TESSERA_HAVE_NCCL
  if (backend == "nccl") return make_nccl_communicator(make_mpi_communicator());
#endif
  if (backend == "mpi" || backend == "nccl")
    throw std::runtime_error("this build of tessera has no " + backend +
                             " support (it has: " + communicator_backends() + ")");
  throw std::invalid_argument("unknown communicator '" + backend +
                              "'; known: auto, local, mpi, nccl");
}

std::string communicator_backends() {
  std::string s = "local";
#if TESSERA_HAVE_MPI
  s += ", mpi";
#endif
#if TESSERA_HAVE_NCCL
  s += ", nccl";
#endif
  return s;
}

Shard shard_of(int64_t n, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size)
    throw std::invalid_argument("shard_of: rank " + std::to_string(rank) + " of " +
                                std::to_string(size));
  const int64_t base = n / size, extra = n % size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace tessera
