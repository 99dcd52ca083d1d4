#include "tessera/dist/flat_buffer.hpp"

#include <stdexcept>

#include "tessera/ops/elementwise.hpp"

namespace tessera {

FlatBuffer::FlatBuffer(const std::vector<Shape>& shapes, Device device, const Communicator& comm)
    : shapes_(shapes) {
  int64_t n = 0;
  for (const Shape& s : shapes) {
    offsets_.push_back(n);
    n += product(s);
  }
  values_ = Tensor::zeros({n}, comm.reduces_on(device) ? device : Device::cpu());
}

Tensor FlatBuffer::part(size_t i) {
  return Tensor::borrow(data() + offsets_.at(i), Layout::plain(shapes_[i]), values_.device());
}

void FlatBuffer::put(size_t i, const Tensor& t) {
  Tensor p = part(i);
  if (t.numel() != p.numel())
    throw std::logic_error("flat buffer: a tensor of " + to_string(t.shape()) + " for part " +
                           to_string(p.shape()));
  p.copy_from(t.to_plain().reshape(p.shape()));
}

void allreduce_mean(Communicator& comm, const std::vector<Tensor*>& tensors) {
  if (comm.size() == 1 || tensors.empty()) return;
  std::vector<Shape> shapes;
  for (const Tensor* t : tensors) shapes.push_back(t->shape());
  FlatBuffer flat(shapes, tensors.front()->device(), comm);
  for (size_t i = 0; i < tensors.size(); ++i) flat.put(i, *tensors[i]);
  comm.allreduce_sum(flat.data(), flat.numel());
  const float inv = 1.f / float(comm.size());
  for (size_t i = 0; i < tensors.size(); ++i)
    *tensors[i] = scale(flat.part(i), inv).to(tensors[i]->device());
}

void broadcast(Communicator& comm, Tensor& t, int root) {
  if (comm.size() == 1 || !t.defined()) return;
  FlatBuffer flat({t.shape()}, t.device(), comm);
  flat.put(0, t);
  comm.broadcast(flat.data(), flat.numel(), root);
  const Tensor p = flat.part(0);
  t = p.device() == t.device() ? p.clone() : p.to(t.device());
}

}  // namespace tessera
