// NCCL between the GPUs of a run, one GPU per process (rank % device count), bootstrapped over
// MPI. Data already on the GPU (gradients of a model trained there) is reduced where it lies;
// host data is staged through a device buffer that grows to the largest call and is reused.
// The communicator has a stream of its own that waits (by an event) for the work the backend
// queued on the default stream before it reads a gradient, and does not hold that stream up
// otherwise: backward goes on while a bucket is reduced.
#include <cuda_runtime.h>
#include <nccl.h>

#include <stdexcept>
#include <string>

#include "../dist/backends.hpp"

namespace tessera {

namespace {

void check_cuda(cudaError_t rc, const char* what) {
  if (rc != cudaSuccess)
    throw std::runtime_error(std::string("nccl communicator: ") + what +
                             " failed: " + cudaGetErrorString(rc));
}

void check_nccl(ncclResult_t rc, const char* what) {
  if (rc != ncclSuccess)
    throw std::runtime_error(std::string("nccl communicator: ") + what +
                             " failed: " + ncclGetErrorString(rc));
}

// A reduction queued on the communicator's stream; done when an event after it has passed.
class NcclReduce final : public PendingReduce {
 public:
  explicit NcclReduce(cudaStream_t stream) {
    check_cuda(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming), "cudaEventCreate");
    check_cuda(cudaEventRecord(done_, stream), "cudaEventRecord");
  }
  ~NcclReduce() override { cudaEventDestroy(done_); }
  NcclReduce(const NcclReduce&) = delete;
  NcclReduce& operator=(const NcclReduce&) = delete;
  bool test() override {
    const cudaError_t rc = cudaEventQuery(done_);
    if (rc == cudaErrorNotReady) {
      cudaGetLastError();  // not an error: left set, the next launch check would throw it
      return false;
    }
    check_cuda(rc, "cudaEventQuery");
    return true;
  }
  void wait() override { check_cuda(cudaEventSynchronize(done_), "cudaEventSynchronize"); }

 private:
  cudaEvent_t done_ = nullptr;
};

class NcclCommunicator final : public Communicator {
 public:
  explicit NcclCommunicator(std::unique_ptr<Communicator> mpi) : mpi_(std::move(mpi)) {
    int devices = 0;
    check_cuda(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
    if (devices == 0) throw std::runtime_error("the nccl communicator needs a GPU; none found");
    device_ = mpi_->rank() % devices;
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    // The id is 128 bytes; it travels as floats over the bootstrap communicator.
    ncclUniqueId id{};
    if (mpi_->rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    static_assert(sizeof(id) % sizeof(float) == 0);
    mpi_->broadcast(reinterpret_cast<float*>(&id), sizeof(id) / sizeof(float), 0);
    check_nccl(ncclCommInitRank(&comm_, mpi_->size(), id, mpi_->rank()), "ncclCommInitRank");
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    check_cuda(cudaEventCreateWithFlags(&queued_, cudaEventDisableTiming), "cudaEventCreate");
  }
  ~NcclCommunicator() override {
    if (buffer_) cudaFree(buffer_);
    if (queued_) cudaEventDestroy(queued_);
    if (stream_) cudaStreamDestroy(stream_);
    if (comm_) ncclCommDestroy(comm_);
  }

  int rank() const override { return mpi_->rank(); }
  int size() const override { return mpi_->size(); }
  std::string backend() const override { return "nccl"; }
  bool reduces_on(Device d) const override { return d.is_host() || d == Device::cuda(device_); }

  void allreduce_sum(float* data, int64_t n) override {
    use_own_gpu();
    if (on_device(data)) {
      after_queued_work();
      check_nccl(ncclAllReduce(data, data, size_t(n), ncclFloat, ncclSum, comm_, stream_),
                 "ncclAllReduce");
      return finish();
    }
    float* d = stage_in(data, n);
    check_nccl(ncclAllReduce(d, d, size_t(n), ncclFloat, ncclSum, comm_, stream_), "ncclAllReduce");
    stage_out(data, n);
  }
  std::unique_ptr<PendingReduce> start_allreduce_sum(float* data, int64_t n) override {
    use_own_gpu();
    if (!on_device(data)) return Communicator::start_allreduce_sum(data, n);
    after_queued_work();
    check_nccl(ncclAllReduce(data, data, size_t(n), ncclFloat, ncclSum, comm_, stream_),
               "ncclAllReduce");
    return std::make_unique<NcclReduce>(stream_);
  }
  void broadcast(float* data, int64_t n, int root) override {
    use_own_gpu();
    if (on_device(data)) {
      after_queued_work();
      check_nccl(ncclBroadcast(data, data, size_t(n), ncclFloat, root, comm_, stream_),
                 "ncclBroadcast");
      return finish();
    }
    float* d = stage_in(data, n);
    check_nccl(ncclBroadcast(d, d, size_t(n), ncclFloat, root, comm_, stream_), "ncclBroadcast");
    stage_out(data, n);
  }
  void allgather(const float* data, int64_t n, float* out) override {
    use_own_gpu();
    if (on_device(data) && on_device(out)) {
      after_queued_work();
      check_nccl(ncclAllGather(data, out, size_t(n), ncclFloat, comm_, stream_), "ncclAllGather");
      return finish();
    }
    const int64_t total = n * size();
    reserve(total);
    float* slot = buffer_ + n * rank();
    check_cuda(
        cudaMemcpyAsync(slot, data, size_t(n) * sizeof(float), cudaMemcpyHostToDevice, stream_),
        "cudaMemcpy");
    check_nccl(ncclAllGather(slot, buffer_, size_t(n), ncclFloat, comm_, stream_), "ncclAllGather");
    stage_out(out, total);
  }
  void barrier() override {
    float token = 0.f;
    allreduce_sum(&token, 1);
  }
  void abort(int code) override {
    if (comm_) ncclCommAbort(comm_), comm_ = nullptr;
    mpi_->abort(code);
  }

 private:
  static bool on_device(const void* p) {
    cudaPointerAttributes a{};
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
      cudaGetLastError();  // plain host memory on older runtimes: not an error to keep
      return false;
    }
    return a.type == cudaMemoryTypeDevice || a.type == cudaMemoryTypeManaged;
  }
  void finish() { check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }
  // The backend sets the current GPU to its operands'; staging buffers and NCCL calls are this
  // rank's GPU's.
  void use_own_gpu() const { check_cuda(cudaSetDevice(device_), "cudaSetDevice"); }
  // The communicator's stream waits for what the backend has queued on the default stream.
  void after_queued_work() {
    check_cuda(cudaEventRecord(queued_, cudaStreamLegacy), "cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(stream_, queued_, 0), "cudaStreamWaitEvent");
  }
  void reserve(int64_t n) {
    if (n <= capacity_) return;
    if (buffer_) check_cuda(cudaFree(buffer_), "cudaFree");
    buffer_ = nullptr;
    check_cuda(cudaMalloc(&buffer_, size_t(n) * sizeof(float)), "cudaMalloc");
    capacity_ = n;
  }
  float* stage_in(const float* data, int64_t n) {
    reserve(n);
    check_cuda(
        cudaMemcpyAsync(buffer_, data, size_t(n) * sizeof(float), cudaMemcpyHostToDevice, stream_),
        "cudaMemcpy");
    return buffer_;
  }
  void stage_out(float* data, int64_t n) {
    check_cuda(
        cudaMemcpyAsync(data, buffer_, size_t(n) * sizeof(float), cudaMemcpyDeviceToHost, stream_),
        "cudaMemcpy");
    finish();
  }

  std::unique_ptr<Communicator> mpi_;
  ncclComm_t comm_ = nullptr;
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t queued_ = nullptr;
  float* buffer_ = nullptr;
  int64_t capacity_ = 0;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> mpi) {
  return std::make_unique<NcclCommunicator>(std::move(mpi));
}

}  // namespace tessera
