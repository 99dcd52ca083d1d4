#pragma once
// Collective communication between the processes of one training run: MPI between CPU
// processes (one machine or many), NCCL between GPUs, or a single process on its own.
//
//   auto comm = make_communicator("auto");   // MPI under mpirun, else a single local process
//   comm->allreduce_sum(grad.data(), grad.numel());
//
// Every rank must make the same collective calls in the same order.
#include <cstdint>
#include <memory>
#include <string>

#include "tessera/tensor/device.hpp"

namespace tessera {

// A reduction started by start_allreduce_sum; its data holds the sum once wait() returns.
class PendingReduce {
 public:
  virtual ~PendingReduce() = default;
  // Lets the reduction progress without blocking (MPI moves nonblocking collectives on only
  // inside MPI calls); true once it is complete.
  virtual bool test() = 0;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "local", "mpi", "nccl"
  // Whether the collectives take pointers into memory on `d` (NCCL: its GPU's as well as the
  // host's); MPI and the local communicator take host memory only.
  virtual bool reduces_on(Device d) const { return d.is_host(); }

  // In place: data becomes the sum of every rank's data.
  virtual void allreduce_sum(float* data, int64_t n) = 0;
  // Starts allreduce_sum and returns at once; data must stay alive until wait().
  virtual std::unique_ptr<PendingReduce> start_allreduce_sum(float* data, int64_t n);
  // In place: data becomes root's data.
  virtual void broadcast(float* data, int64_t n, int root) = 0;
  // out (size() * n values) receives every rank's n values, in rank order.
  virtual void allgather(const float* data, int64_t n, float* out) = 0;
  virtual void barrier() = 0;
  // Ends every process of the run after an error on this one (instead of leaving the others
  // waiting in a collective forever). The local communicator does nothing.
  virtual void abort(int code) { (void)code; }

  // In place: data becomes the mean over ranks.
  void allreduce_mean(float* data, int64_t n);
  float allreduce_mean(float value);
};

// "local": this process alone. "mpi": MPI_COMM_WORLD (initialises MPI; works without mpirun
// as a single process). "nccl": NCCL over this process's GPU (rank % device count),
// bootstrapped over MPI. "auto": "mpi" when the process was started by mpirun / srun, else
// "local". Throws when the backend was not built.
std::unique_ptr<Communicator> make_communicator(const std::string& backend = "auto");

// The backends this build has, e.g. "local, mpi".
std::string communicator_backends();

// The part [begin, end) of n items that rank `rank` of `size` takes: contiguous, sizes differ
// by at most one, earlier ranks take the extra items.
struct Shard {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};
Shard shard_of(int64_t n, int rank, int size);

}  // namespace tessera
