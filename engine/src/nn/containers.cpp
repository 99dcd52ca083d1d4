#include "tessera/nn/containers.hpp"

#include <stdexcept>

#include "tessera/nn/init.hpp"
#include "tessera/ops/elementwise.hpp"

namespace tessera {

// ---- Sequential ----

Sequential& Sequential::add(std::unique_ptr<Module> m) {
  if (m->num_inputs() != 1)
    throw std::invalid_argument("sequential: " + m->type() + " takes more than one input");
  modules_.push_back(std::move(m));
  return *this;
}

nlohmann::json Sequential::config() const {
  nlohmann::json mods = nlohmann::json::array();
  for (const auto& m : modules_) mods.push_back(m->config());
  return {{"type", type()}, {"modules", mods}};
}

std::unique_ptr<Module> Sequential::from_config(const Settings& s, const ModuleBuilder& build) {
  s.only({"type", "modules"});
  auto seq = std::make_unique<Sequential>();
  for (size_t i = 0; i < s.size("modules"); ++i) seq->add(build(s.element("modules", i)));
  return seq;
}

Topology Sequential::topology() {
  std::vector<Module*> children;
  for (auto& m : modules_) children.push_back(m.get());
  return Topology::chain(children, /*runs_by_node=*/true);
}

void Sequential::collect_parameters(const std::string& prefix, std::vector<Param*>& out) {
  for (size_t i = 0; i < modules_.size(); ++i)
    modules_[i]->collect_parameters(prefix + std::to_string(i) + ".", out);
}

void Sequential::collect_buffers(const std::string& prefix,
                                 std::vector<std::pair<std::string, Tensor*>>& out) {
  for (size_t i = 0; i < modules_.size(); ++i)
    modules_[i]->collect_buffers(prefix + std::to_string(i) + ".", out);
}

void Sequential::initialize(uint64_t seed) {
  for (size_t i = 0; i < modules_.size(); ++i) modules_[i]->initialize(mix_seed(seed, i));
}

void Sequential::clear_saved() {
  for (auto& m : modules_) m->clear_saved();
}

Tensor Sequential::forward_one(const Tensor& x, Mode mode) {
  Tensor h = x;
  for (auto& m : modules_) h = m->forward(h, mode);
  return h;
}

Tensor Sequential::backward_input(const Tensor& dy) {
  Tensor g = dy;
  for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) g = (*it)->backward_one(g);
  return g;
}

// ---- Graph ----

int Graph::add(std::unique_ptr<Module> m, std::vector<int> inputs, std::string name) {
  const int id = static_cast<int>(nodes_.size());
  if (inputs.empty()) throw std::invalid_argument("graph: node '" + name + "' has no inputs");
  for (int in : inputs)
    if (in < input || in >= id)
      throw std::invalid_argument("graph: node '" + name + "' reads node " + std::to_string(in) +
                                  ", which is not an earlier node");
  const int want = m->num_inputs();
  if (want >= 0 && want != static_cast<int>(inputs.size()))
    throw std::invalid_argument("graph: " + m->type() + " takes " + std::to_string(want) +
                                " inputs, node '" + name + "' gives " +
                                std::to_string(inputs.size()));
  if (name.empty()) name = std::to_string(id);
  for (const Node& n : nodes_)
    if (n.name == name) throw std::invalid_argument("graph: node name '" + name + "' is taken");
  nodes_.push_back({std::move(name), std::move(m), std::move(inputs)});
  return id;
}

nlohmann::json Graph::config() const {
  nlohmann::json nodes = nlohmann::json::array();
  for (const Node& n : nodes_)
    nodes.push_back({{"name", n.name}, {"inputs", n.inputs}, {"module", n.module->config()}});
  return {{"type", type()}, {"nodes", nodes}};
}

std::unique_ptr<Module> Graph::from_config(const Settings& s, const ModuleBuilder& build) {
  s.only({"type", "nodes"});
  auto g = std::make_unique<Graph>();
  for (size_t i = 0; i < s.size("nodes"); ++i) {
    const Settings node = s.element("nodes", i);
    node.only({"name", "inputs", "module"});
    g->add(build(node.child("module")), node.require<std::vector<int>>("inputs"),
           node.require<std::string>("name"));
  }
  return g;
}

Topology Graph::topology() {
  Topology t;
  t.runs_by_node = true;
  for (Node& n : nodes_) t.nodes.push_back({n.module.get(), n.inputs, n.name});
  return t;
}

std::string Graph::node_prefix(size_t i) const {
  return nodes_[i].name + ".";
}

void Graph::collect_parameters(const std::string& prefix, std::vector<Param*>& out) {
  for (size_t i = 0; i < nodes_.size(); ++i)
    nodes_[i].module->collect_parameters(prefix + node_prefix(i), out);
}

void Graph::collect_buffers(const std::string& prefix,
                            std::vector<std::pair<std::string, Tensor*>>& out) {
  for (size_t i = 0; i < nodes_.size(); ++i)
    nodes_[i].module->collect_buffers(prefix + node_prefix(i), out);
}

void Graph::initialize(uint64_t seed) {
  for (size_t i = 0; i < nodes_.size(); ++i) nodes_[i].module->initialize(mix_seed(seed, i));
}

void Graph::clear_saved() {
  for (Node& n : nodes_) n.module->clear_saved();
}

Tensor Graph::forward_one(const Tensor& x, Mode mode) {
  if (nodes_.empty()) return x;
  // How many nodes still have to read each output; an output is dropped when that reaches 0.
  std::vector<int> readers(nodes_.size(), 0);
  for (const Node& n : nodes_)
    for (int in : n.inputs)
      if (in != input) ++readers[static_cast<size_t>(in)];

  std::vector<Tensor> out(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<Tensor> args;
    for (int in : nodes_[i].inputs) args.push_back(in == input ? x : out[static_cast<size_t>(in)]);
    out[i] = nodes_[i].module->forward(args, mode);
    for (int in : nodes_[i].inputs)
      if (in != input && --readers[static_cast<size_t>(in)] == 0)
        out[static_cast<size_t>(in)] = Tensor();
  }
  return out.back();
}

Tensor Graph::backward_input(const Tensor& dy) {
  if (nodes_.empty()) return dy;
  std::vector<Tensor> grad(nodes_.size());
  Tensor input_grad;
  grad.back() = dy;
  // Gradients of outputs read by several nodes (skips) are summed.
  auto accumulate = [](Tensor& acc, const Tensor& g) {
    if (!g.defined()) return;
    if (!acc.defined())
      acc = g;
    else
      acc = tessera::add(acc, g);
  };
  for (size_t i = nodes_.size(); i-- > 0;) {
    if (!grad[i].defined()) continue;  // no path from this node to the output
    std::vector<Tensor> gin = nodes_[i].module->backward(grad[i]);
    grad[i] = Tensor();
    for (size_t k = 0; k < gin.size(); ++k) {
      const int in = nodes_[i].inputs[k];
      accumulate(in == input ? input_grad : grad[static_cast<size_t>(in)], gin[k]);
    }
  }
  return input_grad;
}

}  // namespace tessera
