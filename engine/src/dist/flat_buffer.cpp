#include "tessera/dist/flat_buffer.hpp"

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
  p.copy_from(t.reshape(p.shape()));  // reshape refuses another element count
}

Tensor FlatBuffer::take(size_t i, Device device, float factor) {
  const Tensor p = part(i);
  if (factor != 1.f) return scale(p, factor).to(device);
  return p.device() == device ? p.clone() : p.to(device);
}

namespace {

// The defined ones of `tensors` (undefined buffers have nothing to send).
std::vector<Tensor*> defined_only(const std::vector<Tensor*>& tensors) {
  std::vector<Tensor*> out;
  for (Tensor* t : tensors)
    if (t->defined()) out.push_back(t);
  return out;
}

// The tensors end to end in one buffer where `comm` reduces (on their first's device if it can).
FlatBuffer packed(const std::vector<Tensor*>& tensors, const Communicator& comm) {
  std::vector<Shape> shapes;
  for (const Tensor* t : tensors) shapes.push_back(t->shape());
  FlatBuffer flat(shapes, tensors.front()->device(), comm);
  for (size_t i = 0; i < tensors.size(); ++i) flat.put(i, *tensors[i]);
  return flat;
}

// Each tensor becomes its part times `factor`, on its own device.
void unpack(FlatBuffer& flat, const std::vector<Tensor*>& tensors, float factor) {
  for (size_t i = 0; i < tensors.size(); ++i)
    *tensors[i] = flat.take(i, tensors[i]->device(), factor);
}

}  // namespace

void allreduce_mean(Communicator& comm, const std::vector<Tensor*>& tensors) {
  const std::vector<Tensor*> ts = defined_only(tensors);
  if (comm.size() == 1 || ts.empty()) return;
  FlatBuffer flat = packed(ts, comm);
  comm.allreduce_sum(flat.data(), flat.numel());
  unpack(flat, ts, 1.f / float(comm.size()));
}

void broadcast(Communicator& comm, const std::vector<Tensor*>& tensors, int root) {
  const std::vector<Tensor*> ts = defined_only(tensors);
  if (comm.size() == 1 || ts.empty()) return;
  FlatBuffer flat = packed(ts, comm);
  comm.broadcast(flat.data(), flat.numel(), root);
  unpack(flat, ts, 1.f);
}

}  // namespace tessera
