#include "tessera/train/kfac.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "optimizer_util.hpp"
#include "tessera/dist/communicator.hpp"
#include "tessera/dist/flat_buffer.hpp"
#include "tessera/nn/kron_factored.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/ops/elementwise.hpp"
#include "tessera/ops/linalg.hpp"
#include "tessera/ops/shape_ops.hpp"

namespace tessera {

namespace {

// State keys of a layer's running factors, under its weight's name.
std::string a_key(KroneckerFactored& k) {
  return k.kron_weight().name + "/kfac_a";
}
std::string g_key(KroneckerFactored& k) {
  return k.kron_weight().name + "/kfac_g";
}

// The layer's gradient as one matrix [Co, D]: the weight flattened, the bias as the last
// column. Undefined when backward wrote no weight gradient.
Tensor gradient_matrix(KroneckerFactored& k) {
  const Tensor gw = plain_grad(k.kron_weight());
  if (!gw.defined()) return {};
  const int64_t co = gw.dim(0);
  const Tensor w = gw.reshape({co, gw.numel() / co});
  const Param* b = k.kron_bias();
  if (!b) return w;
  const Tensor gb = plain_grad(*b);
  if (!gb.defined()) return {};
  return concat({w, gb.reshape({co, 1})}, 1);
}

// The inverse of gradient_matrix: the weight's and the bias's parts of m, times `factor`.
std::pair<Tensor, Tensor> split_matrix(KroneckerFactored& k, const Tensor& m, float factor) {
  const Shape& ws = k.kron_weight().value.shape();
  const int64_t co = m.dim(0), dw = product(ws) / co;
  const Tensor w = scale(crop(m, {0, 0}, {co, dw}), factor).reshape(ws);
  if (!k.kron_bias()) return {w, Tensor()};
  return {w, scale(crop(m, {0, dw}, {co, 1}), factor).reshape({co})};
}

// Mean of the (clamped) eigenvalues: the trace over the size.
double mean_eigenvalue(const SymmetricEigen& e) {
  double s = 0;
  for (float v : e.values) s += std::max(0.f, v);
  return s / double(e.values.size());
}

class Kfac final : public Optimizer {
 public:
  explicit Kfac(const KfacOptions& o) : o_(o) {
    check_range("momentum", o.momentum, 0, 1, true);
    check_range("weight_decay", o.weight_decay, 0, INFINITY, false);
    check_range("damping", o.damping, 1e-12, INFINITY, false);
    check_range("kl_clip", o.kl_clip, 0, INFINITY, false);
    check_range("stat_decay", o.stat_decay, 0, 1, true);
    check_range("factor_interval", o.factor_interval, 1, 1e9, false);
    check_range("inverse_interval", o.inverse_interval, 1, 1e9, false);
  }

  void prepare(Module& model, Communicator* comm) override {
    comm_ = comm;
    layers_.clear();
    const bool record = steps_ % o_.factor_interval == 0;
    for_each_module(model, [&](Module& m) {
      auto* k = dynamic_cast<KroneckerFactored*>(&m);
      if (!k || !k->has_kron_factors()) return;
      k->record_factors(record);
      layers_.push_back(k);
    });
    prepared_ = true;
  }

  void step(const std::vector<Param*>& params, float lr) override {
    if (!prepared_)
      throw std::logic_error(
          "kfac: prepare(model) must come before each forward pass "
          "(train_step does it)");
    prepared_ = false;
    if (steps_ % o_.factor_interval == 0) update_factors();
    for (KroneckerFactored* k : layers_) k->record_factors(false);
    restore_eigen();
    if (steps_ % o_.inverse_interval == 0 || eigen_missing()) update_eigen();

    const std::unordered_set<const Param*> stepped(params.begin(), params.end());
    std::unordered_map<const Param*, Tensor> natural;  // preconditioned gradients
    std::vector<std::pair<KroneckerFactored*, Tensor>> deltas;
    double predicted = 0;  // sum <step, grad> over preconditioned layers
    for (KroneckerFactored* k : layers_) {
      if (!stepped.count(&k->kron_weight()) || !eigen_.count(a_key(*k))) continue;
      const Tensor m = gradient_matrix(*k);
      if (!m.defined()) continue;
      Tensor delta = precondition(*k, m);
      predicted += dot(delta, m);
      deltas.emplace_back(k, std::move(delta));
    }
    const double kl = double(lr) * lr * predicted;
    const float nu =
        o_.kl_clip > 0 && kl > 0 ? float(std::min(1.0, std::sqrt(o_.kl_clip / kl))) : 1.f;
    for (auto& [k, delta] : deltas) {
      auto [w, b] = split_matrix(*k, delta, nu);
      natural[&k->kron_weight()] = w;
      if (k->kron_bias()) natural[k->kron_bias()] = b;
    }
    const SgdOptions sgd{.momentum = o_.momentum, .weight_decay = o_.weight_decay};
    for (Param* p : params) {
      auto it = natural.find(p);
      const Tensor g = it != natural.end() ? it->second : plain_grad(*p);
      if (!g.defined()) continue;  // no gradient (frozen or unused): left as is
      sgd_step(*p, g, lr, sgd,
               o_.momentum == 0.f ? nullptr : &state_tensor(p->name + "/momentum", p->value));
    }
    ++steps_;
  }

  nlohmann::json config() const override {
    return {{"type", "kfac"},
            {"momentum", json_number(o_.momentum)},
            {"weight_decay", json_number(o_.weight_decay)},
            {"damping", json_number(o_.damping)},
            {"pi_damping", o_.pi_damping},
            {"kl_clip", json_number(o_.kl_clip)},
            {"stat_decay", json_number(o_.stat_decay)},
            {"factor_interval", o_.factor_interval},
            {"inverse_interval", o_.inverse_interval}};
  }

 private:
  bool distributed() const { return comm_ && comm_->size() > 1; }

  // Folds this step's factors (averaged over ranks) into the running averages.
  void update_factors() {
    std::vector<std::pair<std::string, Tensor>> batch;
    for (KroneckerFactored* k : layers_) {
      KronFactors f = k->take_factors();
      if (!f.a.defined() || !f.g.defined()) continue;  // not on this step's backward path
      batch.emplace_back(a_key(*k), std::move(f.a));
      batch.emplace_back(g_key(*k), std::move(f.g));
    }
    if (distributed()) {  // one reduction for every factor of the step, where they lie
      std::vector<Tensor*> factors;
      for (auto& [key, t] : batch) factors.push_back(&t);
      allreduce_mean(*comm_, factors);
    }
    for (auto& [key, t] : batch) blend(key, t);
  }

  void blend(const std::string& key, const Tensor& batch) {
    auto it = state_.find(key);
    if (it == state_.end()) {  // the first batch starts the average
      state_.emplace(key, batch);
      return;
    }
    running_average(state_tensor(key, batch), batch, o_.stat_decay);
  }

  bool eigen_missing() const {
    for (KroneckerFactored* k : layers_)
      if (state_.count(a_key(*k)) && !eigen_.count(a_key(*k))) return true;
    return false;
  }

  // The eigendecompositions are kept in state_ too ("<factor>_eigenvectors", "_eigenvalues"),
  // so that a resumed run preconditions with the same stale curvature as the run it continues.
  void keep_eigen(const std::string& key) {
    const SymmetricEigen& e = eigen_.at(key);
    state_[key + "_eigenvectors"] = e.vectors;  // shares the buffer
    Tensor values = Tensor::empty({int64_t(e.values.size())});
    std::copy(e.values.begin(), e.values.end(), values.data());
    state_[key + "_eigenvalues"] = values;
  }

  // After a restore: eigen_ from the state that keep_eigen wrote, on the layers' device.
  void restore_eigen() {
    for (KroneckerFactored* k : layers_)
      for (const std::string& key : {a_key(*k), g_key(*k)}) {
        // A checkpoint's factors and bases are in host memory: they go where the layer computes.
        const Device device = k->kron_weight().value.device();
        if (auto f = state_.find(key); f != state_.end()) f->second = f->second.to(device);
        if (eigen_.count(key) || !state_.count(key + "_eigenvectors")) continue;
        const Tensor values = state_.at(key + "_eigenvalues").to_host_plain();
        eigen_[key] = {state_.at(key + "_eigenvectors").to(device).to_plain(),
                       std::vector<float>(values.data(), values.data() + values.numel())};
      }
  }

  // Eigendecomposes every running factor. With several ranks each factor goes to one rank
  // (largest first, to the least loaded, by n^3) and is then broadcast from it.
  void update_eigen() {
    std::vector<std::string> keys;
    for (KroneckerFactored* k : layers_)
      if (state_.count(a_key(*k)) && state_.count(g_key(*k))) {
        keys.push_back(a_key(*k));
        keys.push_back(g_key(*k));
      }
    const int ranks = distributed() ? comm_->size() : 1, me = distributed() ? comm_->rank() : 0;
    auto size_of = [&](const std::string& key) { return state_.at(key).dim(0); };
    std::vector<size_t> order(keys.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return size_of(keys[x]) > size_of(keys[y]); });
    std::vector<double> load(size_t(ranks), 0.0);
    std::vector<int> owner(keys.size(), 0);
    for (size_t i : order) {
      const int r = int(std::min_element(load.begin(), load.end()) - load.begin());
      owner[i] = r;
      load[size_t(r)] += std::pow(double(size_of(keys[i])), 3);
    }
    for (size_t i = 0; i < keys.size(); ++i)
      if (owner[i] == me) eigen_[keys[i]] = symmetric_eigen(state_.at(keys[i]));
    if (ranks == 1) {
      for (const std::string& key : keys) keep_eigen(key);
      return;
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      const int64_t n = size_of(keys[i]);
      const Tensor& factor = state_.at(keys[i]);
      SymmetricEigen e = owner[i] == me ? eigen_.at(keys[i])
                                        : SymmetricEigen{Tensor::empty({n, n}, factor.device()),
                                                         std::vector<float>(size_t(n))};
      Tensor values = Tensor::from_vector({n}, e.values);
      broadcast(*comm_, {&e.vectors, &values}, owner[i]);
      e.values.assign(values.data(), values.data() + n);
      eigen_[keys[i]] = std::move(e);
      keep_eigen(keys[i]);
    }
  }

  // (G + gG I)^-1 m (A + gA I)^-1 in the factors' eigenbases.
  Tensor precondition(KroneckerFactored& k, const Tensor& m) const {
    const SymmetricEigen& ea = eigen_.at(a_key(k));
    const SymmetricEigen& eg = eigen_.at(g_key(k));
    double pi = 1;
    if (o_.pi_damping) {
      const double ma = mean_eigenvalue(ea), mg = mean_eigenvalue(eg);
      if (ma > 0 && mg > 0) pi = std::sqrt(ma / mg);
    }
    const double root = std::sqrt(double(o_.damping));
    const double damp_a = root * pi, damp_g = root / pi;
    std::vector<double> rows, cols;
    for (float g : eg.values) rows.push_back(std::max(0.f, g) + damp_g);
    for (float a : ea.values) cols.push_back(std::max(0.f, a) + damp_a);
    const Tensor v =
        divide_outer(matmul(matmul(eg.vectors, m, true, false), ea.vectors), rows, cols);
    return matmul(matmul(eg.vectors, v), ea.vectors, false, true);
  }

  KfacOptions o_;
  std::vector<KroneckerFactored*> layers_;  // of the model given to the last prepare
  Communicator* comm_ = nullptr;
  bool prepared_ = false;
  // Eigendecompositions of the running factors, by state key (kept in state_ as well).
  std::map<std::string, SymmetricEigen> eigen_;
};

}  // namespace

std::unique_ptr<Optimizer> make_kfac(const KfacOptions& o) {
  return std::make_unique<Kfac>(o);
}

KfacOptions read_kfac_options(const Settings& s) {
  s.only({"type", "momentum", "weight_decay", "damping", "pi_damping", "kl_clip", "stat_decay",
          "factor_interval", "inverse_interval"});
  KfacOptions o;
  s.read("momentum", o.momentum);
  s.read("weight_decay", o.weight_decay);
  s.read("damping", o.damping);
  s.read("pi_damping", o.pi_damping);
  s.read("kl_clip", o.kl_clip);
  s.read("stat_decay", o.stat_decay);
  s.read("factor_interval", o.factor_interval);
  s.read("inverse_interval", o.inverse_interval);
  return o;
}

}  // namespace tessera
