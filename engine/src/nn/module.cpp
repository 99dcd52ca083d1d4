#include "tessera/nn/module.hpp"

#include <stdexcept>

namespace tessera {

std::vector<Tensor> Module::backward(const Tensor& dy) {
  std::vector<Tensor> g = run_backward(dy);
  if (backward_hook_) backward_hook_(*this);
  return g;
}

Topology Topology::chain(const std::vector<Module*>& modules, bool runs_by_node) {
  Topology t;
  t.runs_by_node = runs_by_node;
  for (size_t i = 0; i < modules.size(); ++i)
    t.nodes.push_back({modules[i], {int(i) - 1}, std::to_string(i)});
  return t;
}

void Module::for_each_child(const std::function<void(Module&)>& f) {
  for (const Topology::Node& n : topology().nodes) f(*n.module);
}

void for_each_module(Module& m, const std::function<void(Module&)>& f) {
  f(m);
  m.for_each_child([&](Module& c) { for_each_module(c, f); });
}

void set_compute_type(Module& net, DataType t) {
  if (net.pins_float32()) return;
  net.set_compute_type(t);
  net.for_each_child([t](Module& c) { set_compute_type(c, t); });
}

void set_input_gradient(Module& net, bool needed) {
  net.set_input_gradient(needed);
  const Topology t = net.topology();
  if (!t.runs_by_node) return;
  for (const Topology::Node& n : t.nodes)
    if (n.inputs == std::vector<int>{Topology::input}) set_input_gradient(*n.module, needed);
}

Tensor Module::backward_one(const Tensor& dy) {
  std::vector<Tensor> g = backward(dy);
  if (g.size() != 1)
    throw std::logic_error(type() + ": backward_one on a module with " + std::to_string(g.size()) +
                           " inputs");
  return g[0];
}

void Module::collect_parameters(const std::string&, std::vector<Param*>&) {}
void Module::collect_buffers(const std::string&, std::vector<std::pair<std::string, Tensor*>>&) {}
void Module::initialize(uint64_t) {}

std::vector<Param*> Module::parameters() {
  std::vector<Param*> out;
  collect_parameters("", out);
  return out;
}

std::vector<std::pair<std::string, Tensor*>> Module::buffers() {
  std::vector<std::pair<std::string, Tensor*>> out;
  collect_buffers("", out);
  return out;
}

void move_to(Module& net, Device device) {
  for (Param* p : net.parameters()) {
    p->value = p->value.to(device);
    p->grad = p->grad.to(device);
  }
  for (auto& [name, buffer] : net.buffers()) *buffer = buffer->to(device);
}

Device device_of(Module& net) {
  const std::vector<Param*> params = net.parameters();
  return params.empty() ? Device::cpu() : params.front()->value.device();
}

Tensor forward_on_model_device(Module& net, const Tensor& x, Mode mode) {
  return net.forward(x.to(device_of(net)), mode).to(x.device());
}

int64_t Module::parameter_count() {
  int64_t n = 0;
  for (Param* p : parameters()) n += p->value.numel();
  return n;
}

Tensor UnaryModule::run_forward(const std::vector<Tensor>& xs, Mode mode) {
  if (xs.size() != 1)
    throw std::invalid_argument(type() + ": takes one input, got " + std::to_string(xs.size()));
  return forward_one(xs[0], mode);
}

}  // namespace tessera
