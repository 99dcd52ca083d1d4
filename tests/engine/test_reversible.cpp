// Reversible training: exact inverses, gradients equal to those of the same network trained by
// storing activations, bounded rebuild error, memory flat in depth, and a classifier that
// learns as well as its plain twin.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.hpp"
#include "tessera/data/blobs.hpp"
#include "tessera/model/coupling.hpp"
#include "tessera/model/registry.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/ops/space_to_depth.hpp"
#include "tessera/rev/reversible.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera {
namespace {

using testing::dot;
using testing::expect_close;
using testing::expect_gradient_close;
using testing::random_tensor;

// The same architecture with every reversible part storing its activations instead.
nlohmann::json with_stored_activations(nlohmann::json j) {
  if (j.is_object()) {
    if (j.contains("store_activations")) j["store_activations"] = true;
    for (auto& [k, v] : j.items()) v = with_stored_activations(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = with_stored_activations(v);
  }
  return j;
}

// A twin of `m` that stores activations, with the same weights and running statistics.
std::unique_ptr<Module> stored_twin(Module& m) {
  auto twin = make_module(with_stored_activations(m.config()));
  const auto pa = m.parameters(), pb = twin->parameters();
  for (size_t i = 0; i < pa.size(); ++i) pb[i]->value = pa[i]->value.clone();
  const auto ba = m.buffers(), bb = twin->buffers();
  for (size_t i = 0; i < ba.size(); ++i) *bb[i].second = ba[i].second->clone();
  return twin;
}

double squared_norm(const Tensor& t) {
  double s = 0;
  for (float v : t.to_vector()) s += double(v) * v;
  return s;
}

// ||a - b|| / ||b||
double relative_error(const Tensor& a, const Tensor& b) {
  const auto va = a.to_vector(), vb = b.to_vector();
  double num = 0;
  for (size_t i = 0; i < va.size(); ++i) num += (double(va[i]) - vb[i]) * (double(va[i]) - vb[i]);
  return std::sqrt(num / std::max(squared_norm(b), 1e-300));
}

// One train-mode forward and backward of both; input and parameter gradients and the updated
// running statistics must agree.
void expect_same_gradients(Module& rev, const Shape& xs) {
  auto twin = stored_twin(rev);
  const Tensor x = random_tensor(xs, 31);
  const Tensor y_rev = rev.forward(x, Mode::train), y_twin = twin->forward(x, Mode::train);
  expect_close(y_rev, y_twin, 1e-5f);
  const Tensor dy = random_tensor(y_rev.shape(), 32);
  const Tensor dx_rev = rev.backward_one(dy), dx_twin = twin->backward_one(dy);
  EXPECT_LE(relative_error(dx_rev, dx_twin), 1e-4) << "input gradient";
  const auto pa = rev.parameters(), pb = twin->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  ASSERT_FALSE(pa.empty());
  // Over all parameters together, and per parameter where the gradient is not negligible: a
  // convolution bias followed by training-mode batch norm has a true gradient of zero, and
  // both sides hold only rounding noise there.
  double diff = 0, total = 0;
  for (size_t i = 0; i < pa.size(); ++i) {
    const double d = relative_error(pa[i]->grad, pb[i]->grad), n = squared_norm(pb[i]->grad);
    diff += d * d * n;
    total += n;
  }
  EXPECT_LE(std::sqrt(diff / total), 1e-4) << "all parameters";
  for (size_t i = 0; i < pa.size(); ++i) {
    if (squared_norm(pb[i]->grad) > 1e-8 * total) {
      EXPECT_LE(relative_error(pa[i]->grad, pb[i]->grad), 1e-4) << pa[i]->name;
    }
  }
  // Batch norm updated its running statistics once, not again while rebuilding.
  const auto ba = rev.buffers(), bb = twin->buffers();
  for (size_t i = 0; i < ba.size(); ++i)
    EXPECT_EQ(ba[i].second->to_vector(), bb[i].second->to_vector()) << ba[i].first;
}

std::unique_ptr<RevSequence> chain(int dims, int64_t channels, int blocks, bool batch_norm,
                                   uint64_t seed = 1) {
  auto s = std::make_unique<RevSequence>();
  for (int b = 0; b < blocks; ++b)
    s->add(make_coupling({.dims = dims, .channels = channels, .batch_norm = batch_norm}));
  s->initialize(seed);
  return s;
}

TEST(Reversible, SameGradientsAsStoredActivations2D) {
  expect_same_gradients(*chain(2, 8, 3, false), {2, 8, 6, 6});
}
TEST(Reversible, SameGradientsAsStoredActivations2DBatchNorm) {
  expect_same_gradients(*chain(2, 8, 3, true), {2, 8, 6, 6});
}
TEST(Reversible, SameGradientsAsStoredActivations3D) {
  expect_same_gradients(*chain(3, 4, 2, false), {1, 4, 4, 5, 4});
}
TEST(Reversible, SameGradientsAsStoredActivations3DBatchNorm) {
  expect_same_gradients(*chain(3, 4, 2, true), {2, 4, 4, 4, 4});
}

TEST(Reversible, WithInvertibleDownsampling) {
  auto s = std::make_unique<RevSequence>();
  s->add(make_coupling({.dims = 2, .channels = 4}));
  s->add(std::make_unique<InvertibleDownsample>(2, 2, false));
  s->add(make_coupling({.dims = 2, .channels = 16}));
  s->initialize(2);
  expect_same_gradients(*s, {2, 4, 8, 8});
}

TEST(Reversible, UNetSameGradientsAsStoredActivations2D) {
  auto net = make_unet({.dims = 2, .channels = {4, 8}, .reversible = true, .seed = 3});
  expect_same_gradients(*net, {2, 1, 8, 8});
}

TEST(Reversible, UNetSameGradientsAsStoredActivations3D) {
  auto net = make_unet({.dims = 3, .channels = {4, 8}, .reversible = true, .seed = 4});
  expect_same_gradients(*net, {2, 1, 4, 4, 4});
}

TEST(Reversible, GradientsMatchFiniteDifferences) {
  // Independent of the twin: the reversible backward against central differences (ELU keeps
  // the function smooth).
  auto s = std::make_unique<RevSequence>();
  for (int b = 0; b < 2; ++b)
    s->add(make_coupling(
        {.dims = 2, .channels = 4, .batch_norm = false, .activation = Activation::elu}));
  s->initialize(5);
  Tensor x = random_tensor({1, 4, 5, 5}, 6);
  const Tensor r = random_tensor({1, 4, 5, 5}, 7);
  s->forward(x, Mode::train);
  const Tensor dx = s->backward_one(r);
  auto f = [&] { return dot(r, s->forward(x, Mode::eval)); };
  expect_gradient_close("input", x, dx, f, 1e-3, 5e-3, 3e-2, 25);
}

TEST(Reversible, CouplingInverseIsExact) {
  auto c = make_coupling({.dims = 2, .channels = 8});
  c->initialize(9);
  const Tensor x = random_tensor({2, 8, 5, 6}, 10);
  const Tensor y = c->forward(x, Mode::train);
  EXPECT_LT(relative_max_error(x, c->inverse(y, Mode::train)), 1e-6);
  const Tensor ye = c->forward(x, Mode::eval);
  EXPECT_LT(relative_max_error(x, c->inverse(ye, Mode::eval)), 1e-6);
}

TEST(Reversible, SpaceToDepthIsAnExactPermutation) {
  const Tensor x = random_tensor({2, 3, 4, 6}, 11);
  const Tensor y = space_to_depth(x, 2);
  EXPECT_EQ(y.shape(), (Shape{2, 12, 2, 3}));
  // y[n, c*4 + dy*2 + dx, i, j] = x[n, c, 2i + dy, 2j + dx]
  EXPECT_EQ(y.data()[((1 * 12 + 2 * 4 + 1 * 2 + 0) * 2 + 1) * 3 + 2],
            x.data()[((1 * 3 + 2) * 4 + 3) * 6 + 4]);
  EXPECT_EQ(depth_to_space(y, 2).to_vector(), x.to_vector());
  const Tensor v = random_tensor({1, 2, 4, 2, 6}, 12);
  EXPECT_EQ(depth_to_space(space_to_depth(v, 2), 2).to_vector(), v.to_vector());
  EXPECT_THROW(space_to_depth(random_tensor({1, 1, 5, 4}, 1), 2), std::invalid_argument);
}

TEST(Reversible, HundredBlockChainRebuildErrorIsBounded) {
  auto s = chain(2, 8, 100, true, 13);
  const auto errors = s->rebuild_errors(random_tensor({2, 8, 8, 8}, 14), Mode::train);
  ASSERT_EQ(errors.size(), 100u);
  // Error grows from the output back towards the input; report it and bound it.
  std::cout << "rebuild error after 1 / 10 / 100 blocks: " << errors[99] << " / " << errors[90]
            << " / " << errors[0] << "\n";
  EXPECT_LT(errors[0], 1e-3);
  EXPECT_LE(errors[99], errors[0] + 1e-12);
}

TEST(Reversible, RebuildErrorAboveTheLimitStopsTraining) {
  auto s = std::make_unique<RevSequence>(RevSequenceOptions{.max_rebuild_error = 1e-30});
  s->add(make_coupling({.dims = 2, .channels = 4}));
  s->initialize(15);
  const Tensor x = random_tensor({2, 4, 6, 6}, 16, -100.f, 100.f);
  const Tensor y = s->forward(x, Mode::train);
  EXPECT_THROW(s->backward_one(random_tensor(y.shape(), 17)), std::runtime_error);
  // With the default limit the same step passes and reports its error.
  auto ok = chain(2, 4, 1, true, 15);
  ok->forward(x, Mode::train);
  ok->backward_one(random_tensor(y.shape(), 17));
  EXPECT_GE(ok->last_rebuild_error(), 0.0);
  EXPECT_LT(ok->last_rebuild_error(), 1e-3);
}

// bf16 would break the inversion (its rounding amplifies the rebuilt input's last-bit
// differences block by block), so reversible blocks stay float32 under set_compute_type.
TEST(Reversible, StaysFloat32UnderBf16) {
  auto s = chain(3, 16, 8, true, 20);
  const Tensor x = random_tensor({1, 16, 8, 8, 8}, 21);
  const Tensor y32 = s->forward(x, Mode::eval).to_plain();
  set_compute_type(*s, DataType::bf16);
  testing::expect_close(s->forward(x, Mode::eval).to_plain(), y32, 0.f);
  s->forward(x, Mode::train);
  s->backward_one(random_tensor(x.shape(), 22));
  EXPECT_LT(s->last_rebuild_error(), 1e-3);
}

// Peak engine memory of one training step of stem -> chain -> head.
std::size_t step_peak_bytes(int blocks, bool store) {
  Sequential net;
  net.add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 1, .out_channels = 8, .padding = {1, 1}}));
  auto body = std::make_unique<RevSequence>(RevSequenceOptions{.store_activations = store});
  for (int b = 0; b < blocks; ++b)
    body->add(make_coupling({.dims = 2, .channels = 8, .store_activations = store}));
  net.add(std::move(body));
  net.add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 8, .out_channels = 1, .kernel = {1, 1}}));
  net.initialize(18);
  const Tensor x = random_tensor({2, 1, 32, 32}, 19);
  const Tensor target = Tensor::zeros({2, 1, 32, 32});
  reset_peak_memory();
  const std::size_t before = memory_stats().current_bytes;
  net.backward_one(mse_loss(net.forward(x, Mode::train), target).grad);
  return memory_stats().peak_bytes - before;
}

TEST(Reversible, ActivationMemoryIsFlatInDepth) {
  const std::size_t rev8 = step_peak_bytes(8, false), rev32 = step_peak_bytes(32, false);
  const std::size_t plain8 = step_peak_bytes(8, true), plain32 = step_peak_bytes(32, true);
  std::cout << "peak bytes, 8 / 32 blocks: reversible " << rev8 << " / " << rev32 << ", stored "
            << plain8 << " / " << plain32 << "\n";
  EXPECT_LT(double(rev32), 1.1 * double(rev8));
  EXPECT_GT(double(plain32), 3.0 * double(plain8));
  EXPECT_GT(double(plain32), 8.0 * double(rev32));
}

// Class 1: a bright disc in the top half; class 0: in the bottom half.
struct Task {
  Tensor images, labels;  // [N,1,16,16], [N,1] as 0/1
};
Task make_task(int64_t n, uint64_t seed) {
  Task t{random_tensor({n, 1, 16, 16}, seed, -0.3f, 0.3f), Tensor::zeros({n, 1})};
  std::mt19937_64 rng(seed + 1);
  for (int64_t i = 0; i < n; ++i) {
    const bool top = rng() & 1;
    t.labels.data()[i] = top ? 1.f : 0.f;
    const int64_t cy = top ? 4 : 11, cx = 3 + int64_t(rng() % 10);
    for (int64_t y = 0; y < 16; ++y)
      for (int64_t x = 0; x < 16; ++x)
        if ((y - cy) * (y - cy) + (x - cx) * (x - cx) <= 6)
          t.images.data()[(i * 16 + y) * 16 + x] += 1.f;
  }
  return t;
}

std::unique_ptr<Sequential> classifier(bool store) {
  auto net = std::make_unique<Sequential>();
  net->add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 1, .out_channels = 8, .padding = {1, 1}}));
  auto body = std::make_unique<RevSequence>(RevSequenceOptions{.store_activations = store});
  body->add(make_coupling({.dims = 2, .channels = 8, .store_activations = store}));
  body->add(std::make_unique<InvertibleDownsample>(2, 2, store));
  body->add(make_coupling({.dims = 2, .channels = 32, .store_activations = store}));
  net->add(std::move(body));
  net->add(std::make_unique<Pool>(PoolParams{.kind = PoolKind::avg, .kernel = {8, 8}}));
  net->add(std::make_unique<Flatten>());
  net->add(std::make_unique<Linear>(LinearOptions{.in_features = 32, .out_features = 1}));
  net->initialize(20);
  return net;
}

double accuracy(Module& net, const Task& t) {
  const Tensor logits = net.forward(t.images, Mode::eval).to_plain();
  int right = 0;
  for (int64_t i = 0; i < t.labels.numel(); ++i)
    right += (logits.data()[i] > 0) == (t.labels.data()[i] > 0.5f);
  return double(right) / double(t.labels.numel());
}

TEST(Reversible, ClassifierLearnsAsWellAsItsPlainTwin) {
  auto rev = classifier(false), plain = classifier(true);
  auto opt_rev = make_adam({}), opt_plain = make_adam({});
  for (int step = 0; step < 60; ++step) {
    const Task batch = make_task(16, uint64_t(100 + step));
    auto loss = [&](const Tensor& y) { return bce_with_logits_loss(y, batch.labels); };
    train_step(*rev, *opt_rev, 3e-3f, batch.images, loss);
    train_step(*plain, *opt_plain, 3e-3f, batch.images, loss);
  }
  const Task test = make_task(200, 7);
  const double a_rev = accuracy(*rev, test), a_plain = accuracy(*plain, test);
  std::cout << "held-out accuracy: reversible " << a_rev << ", plain " << a_plain << "\n";
  EXPECT_GE(a_rev, 0.9);
  EXPECT_NEAR(a_rev, a_plain, 0.03);
}

TEST(Reversible, ConfigRoundTripRebuildsTheNetwork) {
  auto net = make_unet({.dims = 2, .channels = {4, 8}, .reversible = true, .rev_blocks = 3});
  auto again = make_module(net->config());
  EXPECT_EQ(again->config(), net->config());
  EXPECT_EQ(again->parameter_count(), net->parameter_count());
  EXPECT_THROW(RevSequence().add(make_coupling({.store_activations = true})),
               std::invalid_argument);
}

}  // namespace
}  // namespace tessera
