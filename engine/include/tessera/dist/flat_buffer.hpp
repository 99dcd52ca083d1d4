#pragma once
// Tensors packed end to end in one plain buffer: the unit a collective call moves (a bucket of
// gradients, a step's K-FAC factors). The buffer lies where the communicator reduces in place:
// on the tensors' GPU under NCCL, so gradients never leave the GPU, else in host memory.
//
//   FlatBuffer flat({a.shape(), b.shape()}, a.device(), comm);
//   flat.put(0, a), flat.put(1, b);
//   comm.allreduce_sum(flat.data(), flat.numel());
//   a = flat.take(0, a.device());
#include <cstdint>
#include <vector>

#include "tessera/dist/communicator.hpp"
#include "tessera/tensor/tensor.hpp"

namespace tessera {

class FlatBuffer {
 public:
  FlatBuffer() = default;
  // Zeroed room for tensors of `shapes`, on `device` when `comm` reduces there, else on the host.
  FlatBuffer(const std::vector<Shape>& shapes, Device device, const Communicator& comm);

  size_t parts() const { return offsets_.size(); }
  int64_t numel() const { return values_.numel(); }
  float* data() { return static_cast<float*>(values_.raw()); }
  // Part i as a plain tensor over the buffer (no copy; valid while the buffer lives).
  Tensor part(size_t i);
  // Copies t (any device or layout, part i's element count) into part i.
  void put(size_t i, const Tensor& t);
  // Part i times `factor` as a tensor of its own on `device`: what a reduction gives back.
  Tensor take(size_t i, Device device, float factor = 1.f);
  void zero() { values_.fill(0.f); }

 private:
  Tensor values_;
  std::vector<int64_t> offsets_;
  std::vector<Shape> shapes_;
};

// In one reduction, each tensor becomes its mean over the ranks (shape and device kept;
// undefined ones are left out).
void allreduce_mean(Communicator& comm, const std::vector<Tensor*>& tensors);

// In one broadcast, each tensor becomes root's; every rank passes tensors of the same shapes
// (devices kept, plain after; undefined ones are left out).
void broadcast(Communicator& comm, const std::vector<Tensor*>& tensors, int root);

}  // namespace tessera
