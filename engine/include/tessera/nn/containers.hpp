#pragma once
// Containers own their children and the activations passed between them.
#include <memory>
#include <string>
#include <vector>

#include "tessera/io/settings.hpp"
#include "tessera/nn/module.hpp"

namespace tessera {

// Children applied one after another: [x] -> m0 -> m1 -> ... -> y.
class Sequential final : public UnaryModule {
 public:
  Sequential() = default;
  Sequential& add(std::unique_ptr<Module> m);
  size_t size() const { return modules_.size(); }
  Module& at(size_t i) { return *modules_.at(i); }

  std::string type() const override { return "sequential"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s, const ModuleBuilder& build);
  Topology topology() override;
  void collect_parameters(const std::string& prefix, std::vector<Param*>& out) override;
  void collect_buffers(const std::string& prefix,
                       std::vector<std::pair<std::string, Tensor*>>& out) override;
  void initialize(uint64_t seed) override;
  void clear_saved() override;

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  std::vector<std::unique_ptr<Module>> modules_;
};

// A directed acyclic graph of modules, for U-Nets and other networks with skips. Nodes are
// added in execution order; each names the earlier nodes it reads (Graph::input for the graph
// input). The last node is the output. In eval mode each activation is freed as soon as its
// last reader has run, so inference holds only what is still needed.
class Graph final : public UnaryModule {
 public:
  static constexpr int input = Topology::input;

  struct Node {
    std::string name;
    std::unique_ptr<Module> module;
    std::vector<int> inputs;
  };

  // Returns the new node's id.
  int add(std::unique_ptr<Module> m, std::vector<int> inputs, std::string name = "");
  int add(std::unique_ptr<Module> m, int input_node, std::string name = "") {
    return add(std::move(m), std::vector<int>{input_node}, std::move(name));
  }
  int last() const { return static_cast<int>(nodes_.size()) - 1; }
  const std::vector<Node>& nodes() const { return nodes_; }
  Module& module(int id) { return *nodes_.at(static_cast<size_t>(id)).module; }

  std::string type() const override { return "graph"; }
  nlohmann::json config() const override;
  static std::unique_ptr<Module> from_config(const Settings& s, const ModuleBuilder& build);
  Topology topology() override;
  void collect_parameters(const std::string& prefix, std::vector<Param*>& out) override;
  void collect_buffers(const std::string& prefix,
                       std::vector<std::pair<std::string, Tensor*>>& out) override;
  void initialize(uint64_t seed) override;
  void clear_saved() override;

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override;
  Tensor backward_input(const Tensor& dy) override;

 private:
  std::string node_prefix(size_t i) const;
  std::vector<Node> nodes_;
};

}  // namespace tessera
