#include "tessera/rev/reversible.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tessera/nn/init.hpp"
#include "tessera/ops/elementwise.hpp"
#include "tessera/ops/shape_ops.hpp"
#include "tessera/ops/space_to_depth.hpp"

namespace tessera {

namespace {

// [N, C, *S] -> {[N, C/2, *S], [N, C/2, *S]}: the coupling's two halves.
Reversible::Halves split_halves(const Tensor& t) {
  if (t.ndim() < 3 || t.dim(1) % 2 != 0)
    throw std::invalid_argument("additive_coupling: input " + to_string(t.shape()) +
                                " needs an even number of channels");
  Shape offsets(t.shape().size(), 0), half = t.shape();
  half[1] = t.dim(1) / 2;
  const Tensor a = crop(t, offsets, half);
  offsets[1] = half[1];
  return {a, crop(t, offsets, half)};
}

Tensor merge_halves(const Reversible::Halves& h) {
  return concat({h.a, h.b}, 1);
}

}  // namespace

double relative_max_error(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape())
    throw std::invalid_argument("relative_max_error: shapes " + to_string(a.shape()) + " and " +
                                to_string(b.shape()) + " differ");
  const Tensor pa = a.to_host_plain(), pb = b.to_host_plain();
  const float* da = pa.data();
  const float* db = pb.data();
  double err = 0, scale = 1;
  for (int64_t i = 0; i < pa.numel(); ++i) {
    err = std::max(err, double(std::abs(da[i] - db[i])));
    scale = std::max(scale, double(std::abs(da[i])));
  }
  return err / scale;
}

// ---- Reversible ----

Tensor Reversible::forward_one(const Tensor& x, Mode mode) {
  if (store_) return forward_stored(x, mode);
  Tensor y = forward_unsaved(x, mode);
  if (keeps_for_backward(mode)) y_ = y;
  return y;
}

Tensor Reversible::backward_input(const Tensor& dy) {
  if (store_) return backward_stored(dy);
  if (!y_.defined())
    throw std::logic_error(type() + ": backward without a train-mode forward before it");
  const Tensor y = y_;
  y_ = Tensor();
  return reverse_backward(y, dy).second;
}

void Reversible::clear_saved() {
  y_ = Tensor();
  clear_children();
}

namespace {
[[noreturn]] void no_halves(const std::string& type) {
  throw std::logic_error(type + " does not work on channel halves");
}
}  // namespace

Reversible::Halves Reversible::forward_halves(const Halves&, Mode, bool) {
  no_halves(type());
}
Reversible::Halves Reversible::inverse_halves(const Halves&, Mode) {
  no_halves(type());
}
std::pair<Reversible::Halves, Reversible::Halves> Reversible::reverse_backward_halves(
    const Halves&, const Halves&) {
  no_halves(type());
}
Reversible::Halves Reversible::backward_halves(const Halves&) {
  no_halves(type());
}

// ---- AdditiveCoupling ----

AdditiveCoupling::AdditiveCoupling(std::unique_ptr<Module> f, std::unique_ptr<Module> g,
                                   bool store_activations)
    : Reversible(store_activations), f_(std::move(f)), g_(std::move(g)) {
  if (!f_ || !g_) throw std::invalid_argument("additive_coupling: needs both F and G");
}

nlohmann::json AdditiveCoupling::config() const {
  return {{"type", type()},
          {"f", f_->config()},
          {"g", g_->config()},
          {"store_activations", stores_activations()}};
}

std::unique_ptr<Module> AdditiveCoupling::from_config(const Settings& s,
                                                      const ModuleBuilder& build) {
  s.only({"type", "f", "g", "store_activations"});
  return std::make_unique<AdditiveCoupling>(build(s.child("f")), build(s.child("g")),
                                            s.get("store_activations", false));
}

Topology AdditiveCoupling::topology() {
  Topology t = Topology::chain({f_.get(), g_.get()}, /*runs_by_node=*/false);
  t.nodes[0].name = "f";
  t.nodes[1].name = "g";
  return t;
}

void AdditiveCoupling::collect_parameters(const std::string& prefix, std::vector<Param*>& out) {
  f_->collect_parameters(prefix + "f.", out);
  g_->collect_parameters(prefix + "g.", out);
}

void AdditiveCoupling::collect_buffers(const std::string& prefix,
                                       std::vector<std::pair<std::string, Tensor*>>& out) {
  f_->collect_buffers(prefix + "f.", out);
  g_->collect_buffers(prefix + "g.", out);
}

void AdditiveCoupling::initialize(uint64_t seed) {
  f_->initialize(mix_seed(seed, 0));
  g_->initialize(mix_seed(seed, 1));
}

void AdditiveCoupling::clear_children() {
  f_->clear_saved();
  g_->clear_saved();
}

// keep = false: F and G drop what they kept as soon as they have run (reversible mode).
Reversible::Halves AdditiveCoupling::forward_halves(const Halves& x, Mode mode, bool keep) {
  const Tensor fx = f_->forward(x.b, mode);
  if (!keep) f_->clear_saved();
  const Tensor y1 = add(x.a, fx);
  const Tensor gy = g_->forward(y1, mode);
  if (!keep) g_->clear_saved();
  return {y1, add(x.b, gy)};
}

Tensor AdditiveCoupling::forward_unsaved(const Tensor& x, Mode mode) {
  return merge_halves(forward_halves(split_halves(x), mode, false));
}

Tensor AdditiveCoupling::forward_stored(const Tensor& x, Mode mode) {
  return merge_halves(forward_halves(split_halves(x), mode, true));
}

Reversible::Halves AdditiveCoupling::backward_halves(const Halves& dy) {
  const Tensor dy1_total = add(dy.a, g_->backward_one(dy.b));
  return {dy1_total, add(dy.b, f_->backward_one(dy1_total))};
}

Tensor AdditiveCoupling::backward_stored(const Tensor& dy) {
  return merge_halves(backward_halves(split_halves(dy)));
}

Reversible::Halves AdditiveCoupling::inverse_halves(const Halves& y, Mode mode) {
  const Mode replay = mode == Mode::eval ? Mode::eval : Mode::recompute;
  const Tensor x2 = subtract(y.b, g_->forward(y.a, replay));
  g_->clear_saved();
  const Tensor x1 = subtract(y.a, f_->forward(x2, replay));
  f_->clear_saved();
  return {x1, x2};
}

Tensor AdditiveCoupling::inverse(const Tensor& y, Mode mode) {
  return merge_halves(inverse_halves(split_halves(y), mode));
}

// Rebuilds one sub-network's input and backpropagates through it in the same pass: G's
// recomputed forward gives both x2 = y2 - G(y1) and the state G's backward needs.
std::pair<Reversible::Halves, Reversible::Halves> AdditiveCoupling::reverse_backward_halves(
    const Halves& y, const Halves& dy) {
  const Tensor x2 = subtract(y.b, g_->forward(y.a, Mode::recompute));
  const Tensor dy1_total = add(dy.a, g_->backward_one(dy.b));
  const Tensor x1 = subtract(y.a, f_->forward(x2, Mode::recompute));
  const Tensor dx2 = add(dy.b, f_->backward_one(dy1_total));
  return {{x1, x2}, {dy1_total, dx2}};
}

std::pair<Tensor, Tensor> AdditiveCoupling::reverse_backward(const Tensor& y, const Tensor& dy) {
  const auto [x, dx] = reverse_backward_halves(split_halves(y), split_halves(dy));
  return {merge_halves(x), merge_halves(dx)};
}

// ---- InvertibleDownsample ----

InvertibleDownsample::InvertibleDownsample(int dims, int64_t factor, bool store_activations)
    : Reversible(store_activations), dims_(dims), factor_(factor) {
  if (factor < 2) throw std::invalid_argument("invertible_downsample: factor must be >= 2");
  if (dims < 1 || dims > 3) throw std::invalid_argument("invertible_downsample: dims must be 1-3");
}

nlohmann::json InvertibleDownsample::config() const {
  return {{"type", type()},
          {"dims", dims_},
          {"factor", factor_},
          {"store_activations", stores_activations()}};
}

std::unique_ptr<Module> InvertibleDownsample::from_config(const Settings& s) {
  s.only({"type", "dims", "factor", "store_activations"});
  return std::make_unique<InvertibleDownsample>(
      s.require<int>("dims"), s.require<int64_t>("factor"), s.get("store_activations", false));
}

Geometry InvertibleDownsample::geometry() const {
  const size_t d = static_cast<size_t>(dims_);
  return {.kind = Geometry::Kind::window,
          .kernel = Shape(d, factor_),
          .stride = Shape(d, factor_),
          .padding = Shape(d, 0),
          .dilation = Shape(d, 1)};
}

Tensor InvertibleDownsample::forward_unsaved(const Tensor& x, Mode) {
  if (x.spatial_dims() != dims_)
    throw std::invalid_argument("invertible_downsample: input " + to_string(x.shape()) +
                                " is not " + std::to_string(dims_) + "D");
  return space_to_depth(x, factor_);
}

Tensor InvertibleDownsample::inverse(const Tensor& y, Mode) {
  return depth_to_space(y, factor_);
}

std::pair<Tensor, Tensor> InvertibleDownsample::reverse_backward(const Tensor& y,
                                                                 const Tensor& dy) {
  return {depth_to_space(y, factor_), depth_to_space(dy, factor_)};
}

Tensor InvertibleDownsample::backward_stored(const Tensor& dy) {
  return depth_to_space(dy, factor_);
}

// ---- RevSequence ----

// The state between blocks is either whole or, across runs of couplings, in two halves.
class RevSequence::State {
 public:
  explicit State(Tensor whole) : whole_(std::move(whole)) {}
  Tensor& whole() {
    if (!whole_.defined()) {
      whole_ = merge_halves(halves_);
      halves_ = {};
    }
    return whole_;
  }
  Reversible::Halves& halves() {
    if (whole_.defined()) {
      halves_ = split_halves(whole_);
      whole_ = Tensor();
    }
    return halves_;
  }

 private:
  Tensor whole_;
  Reversible::Halves halves_;
};

RevSequence::RevSequence(const RevSequenceOptions& o) : Reversible(o.store_activations), o_(o) {
  if (!(o.max_rebuild_error >= 0))
    throw std::invalid_argument("rev_sequence: max_rebuild_error must be >= 0");
}

RevSequence& RevSequence::add(std::unique_ptr<Reversible> block) {
  if (block->stores_activations() != stores_activations())
    throw std::invalid_argument("rev_sequence: a " + block->type() +
                                " block disagrees with the sequence on store_activations");
  blocks_.push_back(std::move(block));
  return *this;
}

nlohmann::json RevSequence::config() const {
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& b : blocks_) blocks.push_back(b->config());
  return {{"type", type()},
          {"store_activations", stores_activations()},
          {"max_rebuild_error", o_.max_rebuild_error},
          {"blocks", blocks}};
}

std::unique_ptr<Module> RevSequence::from_config(const Settings& s, const ModuleBuilder& build) {
  s.only({"type", "store_activations", "max_rebuild_error", "blocks"});
  auto seq = std::make_unique<RevSequence>(
      RevSequenceOptions{.store_activations = s.get("store_activations", false),
                         .max_rebuild_error = s.get("max_rebuild_error", 1e-3)});
  for (size_t i = 0; i < s.size("blocks"); ++i) {
    const Settings b = s.element("blocks", i);
    std::unique_ptr<Module> m = build(b);
    auto* block = dynamic_cast<Reversible*>(m.get());
    if (!block) b.fail("", "'" + m->type() + "' is not reversible");
    m.release();
    seq->add(std::unique_ptr<Reversible>(block));
  }
  return seq;
}

Topology RevSequence::topology() {
  std::vector<Module*> blocks;
  for (auto& b : blocks_) blocks.push_back(b.get());
  return Topology::chain(blocks, /*runs_by_node=*/false);
}

void RevSequence::collect_parameters(const std::string& prefix, std::vector<Param*>& out) {
  for (size_t i = 0; i < blocks_.size(); ++i)
    blocks_[i]->collect_parameters(prefix + std::to_string(i) + ".", out);
}

void RevSequence::collect_buffers(const std::string& prefix,
                                  std::vector<std::pair<std::string, Tensor*>>& out) {
  for (size_t i = 0; i < blocks_.size(); ++i)
    blocks_[i]->collect_buffers(prefix + std::to_string(i) + ".", out);
}

void RevSequence::initialize(uint64_t seed) {
  for (size_t i = 0; i < blocks_.size(); ++i) blocks_[i]->initialize(mix_seed(seed, i));
}

void RevSequence::clear_children() {
  x_ = Tensor();
  for (auto& b : blocks_) b->clear_saved();
}

// Keeps nothing but, in train mode with the rebuild check on, the input itself: one tensor
// whatever the depth.
Tensor RevSequence::forward_unsaved(const Tensor& x, Mode mode) {
  if (mode == Mode::train && o_.max_rebuild_error > 0) x_ = x;
  State h(x);
  for (auto& b : blocks_) {
    if (b->splits_channels())
      h.halves() = b->forward_halves(h.halves(), mode, false);
    else
      h.whole() = b->forward_unsaved(h.whole(), mode);
  }
  return h.whole();
}

Tensor RevSequence::forward_stored(const Tensor& x, Mode mode) {
  State h(x);
  for (auto& b : blocks_) {
    if (b->splits_channels())
      h.halves() = b->forward_halves(h.halves(), mode, true);
    else
      h.whole() = b->forward(h.whole(), mode);
  }
  return h.whole();
}

Tensor RevSequence::backward_stored(const Tensor& dy) {
  State g(dy);
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
    if ((*it)->splits_channels())
      g.halves() = (*it)->backward_halves(g.halves());
    else
      g.whole() = (*it)->backward_one(g.whole());
  }
  return g.whole();
}

Tensor RevSequence::inverse(const Tensor& y, Mode mode) {
  Tensor h = y;
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) h = (*it)->inverse(h, mode);
  return h;
}

std::pair<Tensor, Tensor> RevSequence::reverse_backward(const Tensor& y, const Tensor& dy) {
  State h(y), g(dy);
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
    if ((*it)->splits_channels()) {
      auto [x, dx] = (*it)->reverse_backward_halves(h.halves(), g.halves());
      h.halves() = x;
      g.halves() = dx;
    } else {
      auto [x, dx] = (*it)->reverse_backward(h.whole(), g.whole());
      h.whole() = x;
      g.whole() = dx;
    }
  }
  return finish_reverse(h.whole(), g.whole());
}

std::pair<Tensor, Tensor> RevSequence::finish_reverse(const Tensor& h, const Tensor& g) {
  if (x_.defined()) {
    last_error_ = relative_max_error(x_, h);
    x_ = Tensor();
    if (last_error_ > o_.max_rebuild_error)
      throw std::runtime_error(
          "reversible: the input rebuilt through " + std::to_string(blocks_.size()) +
          " blocks is off by " + std::to_string(last_error_) + " (relative), above the limit " +
          std::to_string(o_.max_rebuild_error) +
          "; gradients would be wrong: use fewer blocks per reversible stage (hybrid design)");
  }
  return {h, g};
}

std::vector<double> RevSequence::rebuild_errors(const Tensor& x, Mode mode) {
  std::vector<Tensor> inputs;
  Tensor h = x;
  for (auto& b : blocks_) {
    inputs.push_back(h);
    h = b->forward_unsaved(h, mode);
  }
  x_ = Tensor();
  std::vector<double> errors(blocks_.size());
  for (size_t k = blocks_.size(); k-- > 0;) {
    h = blocks_[k]->inverse(h, mode);
    errors[k] = relative_max_error(inputs[k], h);
  }
  return errors;
}

}  // namespace tessera
