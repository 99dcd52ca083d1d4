#pragma once
// Data-parallel training: every rank holds the whole model and trains on its own shard of
// each batch; gradients are averaged over ranks before the optimizer step, so every rank takes
// the same step and the weights stay identical. Shards must be of equal size: only then is the
// mean of the ranks' mean gradients the mean gradient of the whole batch.
//
//   auto comm = make_communicator();
//   GradientSync sync(model, *comm);          // rank 0's weights everywhere, hooks installed
//   train_step(model, *opt, lr, shard_input, loss, &sync);
#include <memory>
#include <unordered_map>
#include <vector>

#include "tessera/dist/communicator.hpp"
#include "tessera/dist/flat_buffer.hpp"
#include "tessera/nn/module.hpp"

namespace tessera {

// The samples [s.begin, s.end) of a batch [N, ...]: a rank's share (shard_of) of it.
Tensor take_shard(const Tensor& batch, const Shard& s);

// Copies rank 0's parameters and buffers (running statistics) to every rank.
void broadcast_model(Module& model, Communicator& comm);

class GradientSync {
 public:
  // Broadcasts rank 0's model, then puts the parameters into buckets of about `bucket_bytes`
  // in backward order and hooks every module that owns parameters: a bucket's reduction
  // starts as soon as backward has written all of its gradients, while backward goes on. The
  // buckets lie on the model's device where the communicator reduces there (NCCL), else in
  // host memory.
  GradientSync(Module& model, Communicator& comm, int64_t bucket_bytes = 4 << 20);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  Communicator& comm() { return comm_; }
  // Waits for every bucket (starting any backward left incomplete) and writes the mean over
  // ranks into each Param::grad that backward wrote. Call once after each backward.
  void finish();

 private:
  struct Bucket {
    std::vector<Param*> params;
    FlatBuffer values;  // on the model's GPU when the communicator reduces there
    int ready = 0;
    std::unique_ptr<PendingReduce> pending;
  };
  struct Slot {
    size_t bucket = 0, index = 0;
  };
  void on_backward(Module& m);
  void start(Bucket& b);

  Module& model_;
  Communicator& comm_;
  std::vector<Bucket> buckets_;
  std::unordered_map<const Param*, Slot> slots_;
  std::unordered_map<Module*, std::vector<Param*>> owned_;  // params a module owns directly
  std::vector<const Param*> written_;                       // grads written this step
};

}  // namespace tessera
