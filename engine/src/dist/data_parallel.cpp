#include "tessera/dist/data_parallel.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "tessera/ops/shape_ops.hpp"

namespace tessera {

namespace {

// The parameters each module owns itself, not through a child.
std::unordered_map<Module*, std::vector<Param*>> owned_parameters(Module& model) {
  std::unordered_map<Module*, std::vector<Param*>> owned;
  for_each_module(model, [&](Module& m) {
    std::unordered_set<const Param*> below;
    m.for_each_child([&](Module& c) {
      for (Param* p : c.parameters()) below.insert(p);
    });
    for (Param* p : m.parameters())
      if (!below.count(p)) owned[&m].push_back(p);
  });
  return owned;
}

}  // namespace

Tensor take_shard(const Tensor& batch, const Shard& s) {
  if (s.begin < 0 || s.end > batch.dim(0) || s.size() < 1)
    throw std::invalid_argument("shard [" + std::to_string(s.begin) + ", " + std::to_string(s.end) +
                                ") of a batch of " + std::to_string(batch.dim(0)));
  Shape offsets(size_t(batch.ndim()), 0), shape = batch.shape();
  offsets[0] = s.begin;
  shape[0] = s.size();
  return crop(batch, offsets, shape);
}

void broadcast_model(Module& model, Communicator& comm) {
  if (comm.size() == 1) return;
  std::vector<Tensor*> state;
  for (Param* p : model.parameters()) state.push_back(&p->value);
  for (auto& [name, t] : model.buffers()) state.push_back(t);
  broadcast(comm, state, 0);
}

GradientSync::GradientSync(Module& model, Communicator& comm, int64_t bucket_bytes)
    : model_(model), comm_(comm) {
  broadcast_model(model, comm);
  if (comm.size() == 1) return;  // nothing to average: no buckets, no hooks
  owned_ = owned_parameters(model);
  // Backward produces the last layers' gradients first.
  std::vector<Param*> params = model.parameters();
  std::reverse(params.begin(), params.end());
  std::vector<std::vector<Shape>> shapes;
  int64_t filled = 0;
  for (Param* p : params) {
    const int64_t n = p->value.numel();
    if (buckets_.empty() || (filled + n) * int64_t(sizeof(float)) > bucket_bytes) {
      buckets_.emplace_back();
      shapes.emplace_back();
      filled = 0;
    }
    Bucket& b = buckets_.back();
    slots_[p] = {buckets_.size() - 1, b.params.size()};
    b.params.push_back(p);
    shapes.back().push_back(p->value.shape());
    filled += n;
  }
  const Device device = device_of(model);
  for (size_t i = 0; i < buckets_.size(); ++i)
    buckets_[i].values = FlatBuffer(shapes[i], device, comm);
  for (auto& [m, ps] : owned_) m->set_backward_hook([this](Module& mod) { on_backward(mod); });
}

GradientSync::~GradientSync() {
  for (auto& [m, ps] : owned_) m->set_backward_hook(nullptr);
  // A step that threw may leave reductions running into the buckets about to be freed.
  for (Bucket& b : buckets_)
    if (b.pending) try {
        b.pending->wait();
      } catch (const std::exception&) {  // the error that ended the step is the one to report
      }
}

void GradientSync::on_backward(Module& m) {
  auto it = owned_.find(&m);
  if (it == owned_.end()) return;
  for (Param* p : it->second) {
    if (!p->grad.defined()) continue;
    const Slot s = slots_.at(p);
    Bucket& b = buckets_[s.bucket];
    if (p->grad.numel() != p->value.numel())
      throw std::logic_error("gradient of '" + p->name + "' does not match its parameter");
    b.values.put(s.index, p->grad);
    written_.push_back(p);
    if (++b.ready == int(b.params.size())) start(b);
  }
  // MPI moves nonblocking collectives on only inside MPI calls.
  for (Bucket& b : buckets_)
    if (b.pending) b.pending->test();
}

void GradientSync::start(Bucket& b) {
  b.pending = comm_.start_allreduce_sum(b.values.data(), b.values.numel());
}

void GradientSync::finish() {
  if (comm_.size() == 1) return;
  // Buckets with a parameter backward did not reach (the same on every rank: same model, same
  // graph) are reduced now, in bucket order, which is the same on every rank.
  for (Bucket& b : buckets_)
    if (!b.pending) start(b);
  const float inv = 1.f / float(comm_.size());
  const std::unordered_set<const Param*> written(written_.begin(), written_.end());
  for (Bucket& b : buckets_) {
    b.pending->wait();
    b.pending.reset();
    for (size_t i = 0; i < b.params.size(); ++i) {
      Param* p = b.params[i];
      if (!written.count(p)) continue;
      p->grad = b.values.take(i, p->value.device(), inv);
    }
    b.values.zero();
    b.ready = 0;
  }
  written_.clear();
}

}  // namespace tessera
