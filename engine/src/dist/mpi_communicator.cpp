// MPI_COMM_WORLD as a Communicator. MPI is initialised here when the program has not done it
// and finalised when the communicator goes away.
#include <mpi.h>

#include <climits>
#include <stdexcept>
#include <string>

#include "backends.hpp"

namespace tessera {

namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  throw std::runtime_error(std::string(what) + " failed: " + std::string(msg, size_t(len)));
}

// MPI counts are int: larger arrays go in pieces.
template <typename F>
void in_pieces(int64_t n, F&& f) {
  for (int64_t at = 0; at < n; at += INT_MAX)
    f(at, static_cast<int>(std::min<int64_t>(INT_MAX, n - at)));
}

class MpiReduce final : public PendingReduce {
 public:
  explicit MpiReduce(MPI_Request r) : r_(r) {}
  ~MpiReduce() override {
    if (r_ != MPI_REQUEST_NULL) MPI_Wait(&r_, MPI_STATUS_IGNORE);
  }
  bool test() override {
    int done = 0;
    check(MPI_Test(&r_, &done, MPI_STATUS_IGNORE), "MPI_Test");
    return done != 0;
  }
  void wait() override { check(MPI_Wait(&r_, MPI_STATUS_IGNORE), "MPI_Wait"); }

 private:
  MPI_Request r_;
};

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      // Only the main thread calls MPI (OpenMP threads compute, they do not communicate).
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init");
      owns_mpi_ = true;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_mpi_ && !finalized) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void allreduce_sum(float* data, int64_t n) override {
    in_pieces(n, [&](int64_t at, int count) {
      check(MPI_Allreduce(MPI_IN_PLACE, data + at, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce");
    });
  }
  std::unique_ptr<PendingReduce> start_allreduce_sum(float* data, int64_t n) override {
    if (n > INT_MAX) return Communicator::start_allreduce_sum(data, n);
    MPI_Request r = MPI_REQUEST_NULL;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(n), MPI_FLOAT, MPI_SUM,
                         MPI_COMM_WORLD, &r),
          "MPI_Iallreduce");
    return std::make_unique<MpiReduce>(r);
  }
  void broadcast(float* data, int64_t n, int root) override {
    in_pieces(n, [&](int64_t at, int count) {
      check(MPI_Bcast(data + at, count, MPI_FLOAT, root, MPI_COMM_WORLD), "MPI_Bcast");
    });
  }
  void allgather(const float* data, int64_t n, float* out) override {
    if (n > INT_MAX) throw std::invalid_argument("allgather of more than 2^31 values per rank");
    check(MPI_Allgather(data, static_cast<int>(n), MPI_FLOAT, out, static_cast<int>(n), MPI_FLOAT,
                        MPI_COMM_WORLD),
          "MPI_Allgather");
  }
  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }
  void abort(int code) override {
    if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
  }

 private:
  bool owns_mpi_ = false;
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator() {
  return std::make_unique<MpiCommunicator>();
}

}  // namespace tessera
