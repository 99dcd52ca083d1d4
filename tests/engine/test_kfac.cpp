// K-FAC: the factors against their definitions, the preconditioned step against a dense solve
// with the damped Kronecker product, KL clipping, running averages, stale intervals, the
// first-order fallback and checkpoint round trips.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/kron_factors.hpp"
#include "tessera/ops/linalg.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/kfac.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera {
namespace {

using testing::random_tensor;

// u^T M u in double for a square plain matrix.
double quadratic_form(const Tensor& m, const std::vector<double>& u) {
  const int64_t n = m.dim(0);
  double s = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) s += u[size_t(i)] * m.data()[i * n + j] * u[size_t(j)];
  return s;
}

std::vector<double> random_vector(int64_t n, uint64_t seed) {
  const Tensor t = random_tensor({n}, seed);
  return {t.data(), t.data() + n};
}

// u^T A u is the mean square of the output of a one-channel convolution with weights u: a
// check of the patches through oneDNN's own convolution.
TEST(KronFactors, PatchCovarianceMatchesConvolutionEnergy) {
  struct Case {
    Shape x, kernel;
    ConvParams p;
  };
  const std::vector<Case> cases = {
      {{2, 3, 7, 6}, {3, 3}, {.padding = {1, 1}}},
      {{1, 2, 9, 8}, {3, 2}, {.stride = {2, 1}, .padding = {1, 0}, .dilation = {2, 1}}},
      {{2, 2, 5, 4, 6}, {3, 1, 2}, {.stride = {1, 2, 1}, .padding = {1, 0, 1}}},
  };
  for (const Case& c : cases) {
    const Tensor x = random_tensor(c.x, 1);
    const int64_t ci = c.x[1], d = ci * product(c.kernel) + 1;
    const Tensor a = patch_covariance(x, c.kernel, c.p, true);
    ASSERT_EQ(a.shape(), (Shape{d, d}));
    for (uint64_t seed : {2, 3}) {
      const std::vector<double> u = random_vector(d, seed);
      Shape ws = {1, ci};
      ws.insert(ws.end(), c.kernel.begin(), c.kernel.end());
      Tensor w = Tensor::empty(ws), b = Tensor::full({1}, float(u.back()));
      for (int64_t i = 0; i + 1 < d; ++i) w.data()[i] = float(u[size_t(i)]);
      const Tensor y = conv_forward(x, w, b, c.p).to_plain();
      double energy = 0;
      for (int64_t i = 0; i < y.numel(); ++i) energy += double(y.data()[i]) * y.data()[i];
      energy /= double(y.numel());
      EXPECT_NEAR(quadratic_form(a, u), energy, 1e-4 * (1 + energy)) << to_string(c.x);
    }
  }
}

TEST(KronFactors, LinearPatchCovarianceIsTheMeanOuterProduct) {
  const Tensor x = random_tensor({5, 4}, 4);
  const Tensor a = patch_covariance(x, {}, {}, true);
  ASSERT_EQ(a.shape(), (Shape{5, 5}));
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      double s = 0;
      for (int n = 0; n < 5; ++n)
        s += (i < 4 ? x.data()[n * 4 + i] : 1.0) * (j < 4 ? x.data()[n * 4 + j] : 1.0);
      EXPECT_NEAR(a.data()[i * 5 + j], s / 5, 1e-5);
    }
}

TEST(KronFactors, OutputGradientCovarianceSumsOverPositionsTimesBatch) {
  const Tensor dy = random_tensor({3, 4, 5, 2}, 5);
  const Tensor g = output_gradient_covariance(dy);
  ASSERT_EQ(g.shape(), (Shape{4, 4}));
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      double s = 0;
      for (int n = 0; n < 3; ++n)
        for (int t = 0; t < 10; ++t)
          s += double(dy.data()[(n * 4 + i) * 10 + t]) * dy.data()[(n * 4 + j) * 10 + t];
      EXPECT_NEAR(g.data()[i * 4 + j], 3 * s, 1e-4);
    }
}

TEST(Linalg, SymmetricEigenRebuildsTheMatrix) {
  const Tensor r = random_tensor({6, 6}, 6);
  const Tensor a = matmul(r, r, false, true);  // symmetric positive semi-definite
  const SymmetricEigen e = symmetric_eigen(a);
  for (size_t k = 1; k < e.values.size(); ++k) EXPECT_LE(e.values[k - 1], e.values[k]);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      double s = 0;
      for (int k = 0; k < 6; ++k)
        s +=
            double(e.vectors.data()[i * 6 + k]) * e.values[size_t(k)] * e.vectors.data()[j * 6 + k];
      EXPECT_NEAR(s, a.data()[i * 6 + j], 1e-4);
    }
  EXPECT_THROW(symmetric_eigen(Tensor::zeros({2, 3})), std::invalid_argument);
}

// One K-FAC step of a single layer with lr 1, no momentum and no clipping moves the weights by
// the preconditioned gradient; returns {step, gradient} as [Co, D] matrices (bias last).
struct LayerStep {
  Tensor step, grad, a, g;
};

LayerStep one_kfac_step(Module& layer, Param& w, Param& b, const Tensor& x, const Tensor& target,
                        const KfacOptions& o) {
  auto opt = make_kfac(o);
  const Tensor w0 = w.value.clone(), b0 = b.value.clone();
  train_step(layer, *opt, 1.f, x, [&](const Tensor& y) { return mse_loss(y, target); });
  const int64_t co = w.value.dim(0), dw = w.value.numel() / co, d = dw + 1;
  LayerStep s{Tensor::empty({co, d}), Tensor::empty({co, d}), opt->state().at(w.name + "/kfac_a"),
              opt->state().at(w.name + "/kfac_g")};
  const Tensor gw = w.grad.to_plain(), gb = b.grad.to_plain();
  for (int64_t i = 0; i < co; ++i) {
    for (int64_t j = 0; j < dw; ++j) {
      s.step.data()[i * d + j] = w0.data()[i * dw + j] - w.value.data()[i * dw + j];
      s.grad.data()[i * d + j] = gw.data()[i * dw + j];
    }
    s.step.data()[i * d + dw] = b0.data()[i] - b.value.data()[i];
    s.grad.data()[i * d + dw] = gb.data()[i];
  }
  return s;
}

// ((G + dg I) kron (A + da I)) vec(step) == vec(grad) for the row-major vec of [Co, D]: the
// step is the dense solve of the damped Kronecker-factored Fisher.
void expect_dense_solve(const LayerStep& s, double da, double dg) {
  const int64_t co = s.g.dim(0), d = s.a.dim(0);
  double scale = 0;
  for (int64_t i = 0; i < s.grad.numel(); ++i)
    scale = std::max(scale, double(std::abs(s.grad.data()[i])));
  for (int64_t i = 0; i < co; ++i)
    for (int64_t j = 0; j < d; ++j) {
      double r = 0;
      for (int64_t k = 0; k < co; ++k)
        for (int64_t l = 0; l < d; ++l) {
          const double gk = s.g.data()[i * co + k] + (i == k ? dg : 0);
          const double al = s.a.data()[j * d + l] + (j == l ? da : 0);
          r += gk * al * s.step.data()[k * d + l];
        }
      EXPECT_NEAR(r, s.grad.data()[i * d + j], 2e-3 * scale) << i << "," << j;
    }
}

TEST(Kfac, ConvStepIsTheDenseDampedKroneckerSolve) {
  Conv conv({.in_channels = 2, .out_channels = 3, .kernel = {2, 2}, .padding = {1, 0}});
  conv.initialize(7);
  const Tensor x = random_tensor({2, 2, 4, 5}, 8), target = random_tensor({2, 3, 5, 4}, 9);
  const float damping = 0.04f;
  const LayerStep s =
      one_kfac_step(conv, conv.weight(), conv.bias(), x, target,
                    {.momentum = 0, .damping = damping, .pi_damping = false, .kl_clip = 0});
  expect_dense_solve(s, std::sqrt(damping), std::sqrt(damping));
}

TEST(Kfac, LinearStepWithPiDampingIsTheDenseSolve) {
  Linear lin({.in_features = 4, .out_features = 3});
  lin.initialize(10);
  const Tensor x = random_tensor({6, 4}, 11), target = random_tensor({6, 3}, 12);
  const float damping = 0.01f;
  const LayerStep s = one_kfac_step(lin, lin.kron_weight(), *lin.kron_bias(), x, target,
                                    {.momentum = 0, .damping = damping, .kl_clip = 0});
  double ta = 0, tg = 0;
  for (int64_t i = 0; i < s.a.dim(0); ++i) ta += s.a.data()[i * s.a.dim(0) + i];
  for (int64_t i = 0; i < s.g.dim(0); ++i) tg += s.g.data()[i * s.g.dim(0) + i];
  const double pi = std::sqrt((ta / double(s.a.dim(0))) / (tg / double(s.g.dim(0))));
  expect_dense_solve(s, std::sqrt(damping) * pi, std::sqrt(damping) / pi);
}

// The clipped step is the unclipped one scaled by nu = sqrt(kl_clip / (lr^2 <delta, grad>)).
TEST(Kfac, KlClippingScalesTheStep) {
  const Tensor x = random_tensor({2, 2, 4, 5}, 8), target = random_tensor({2, 3, 5, 4}, 9);
  auto step_with = [&](float kl_clip) {
    Conv conv({.in_channels = 2, .out_channels = 3, .kernel = {2, 2}, .padding = {1, 0}});
    conv.initialize(7);
    return one_kfac_step(conv, conv.weight(), conv.bias(), x, target,
                         {.momentum = 0, .damping = 0.04f, .kl_clip = kl_clip});
  };
  const LayerStep free = step_with(0.f);
  const double predicted = testing::dot(free.step, free.grad);  // lr = 1: <delta, grad>
  const float clip = float(predicted / 16);                     // nu = 1/4
  const LayerStep clipped = step_with(clip);
  for (int64_t i = 0; i < free.step.numel(); ++i)
    EXPECT_NEAR(clipped.step.data()[i], 0.25f * free.step.data()[i], 1e-5);
  const LayerStep loose = step_with(float(predicted * 4));  // nu would be 2: not clipped
  for (int64_t i = 0; i < free.step.numel(); ++i)
    EXPECT_NEAR(loose.step.data()[i], free.step.data()[i], 1e-6);
}

// A network of a convolution, batch norm (no K-FAC form: first-order fallback) and a head.
std::unique_ptr<Sequential> small_net() {
  auto net = std::make_unique<Sequential>();
  net->add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 1, .out_channels = 4, .padding = {1, 1}}));
  net->add(std::make_unique<BatchNorm>(BatchNormOptions{.channels = 4}));
  net->add(std::make_unique<Act>(Activation::relu));
  net->add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 4, .out_channels = 1, .kernel = {1, 1}}));
  net->initialize(3);
  return net;
}

float train_small(Module& net, Optimizer& opt, int step) {
  const Tensor x = random_tensor({2, 1, 6, 6}, 100 + uint64_t(step));
  const Tensor t = random_tensor({2, 1, 6, 6}, 200 + uint64_t(step), 0.f, 1.f);
  return train_step(net, opt, 0.1f, x, [&](const Tensor& y) { return bce_with_logits_loss(y, t); });
}

TEST(Kfac, NormalizationParametersTakeThePlainSgdStep) {
  auto net = small_net();
  auto opt = make_kfac({.momentum = 0});
  std::vector<Param*> ps = net->parameters();
  std::vector<Tensor> before;
  for (Param* p : ps) before.push_back(p->value.clone());
  train_small(*net, *opt, 0);
  for (size_t i = 0; i < ps.size(); ++i) {
    const bool norm = ps[i]->name.rfind("1.", 0) == 0;  // the batch norm's gamma and beta
    const Tensor g = ps[i]->grad.to_plain();
    double max_diff = 0;
    for (int64_t k = 0; k < g.numel(); ++k)
      max_diff = std::max(max_diff, std::abs(double(before[i].data()[k] - 0.1f * g.data()[k] -
                                                    ps[i]->value.data()[k])));
    if (norm)
      EXPECT_LT(max_diff, 1e-6) << ps[i]->name;
    else
      EXPECT_GT(max_diff, 1e-4) << ps[i]->name << " was not preconditioned";
  }
  EXPECT_EQ(opt->state().count("1.gamma/kfac_a"), 0u);
  EXPECT_EQ(opt->state().count("0.weight/kfac_a"), 1u);
}

// Factors change only on factor steps, and then to decay * old + (1 - decay) * batch.
TEST(Kfac, FactorsAreRunningAveragesUpdatedEveryFactorInterval) {
  auto net = small_net();
  const float decay = 0.8f;
  auto opt = make_kfac({.stat_decay = decay, .factor_interval = 3, .inverse_interval = 6});
  Tensor previous;
  for (int step = 0; step < 7; ++step) {
    const Tensor x = random_tensor({2, 1, 6, 6}, 100 + uint64_t(step));
    const Tensor batch_a = patch_covariance(x, {3, 3}, {.padding = {1, 1}}, true);
    train_small(*net, *opt, step);
    const Tensor a = opt->state().at("0.weight/kfac_a").clone();
    for (int64_t i = 0; i < a.numel(); ++i) {
      const float want = step == 0 ? batch_a.data()[i]
                         : step % 3 == 0
                             ? decay * previous.data()[i] + (1 - decay) * batch_a.data()[i]
                             : previous.data()[i];
      ASSERT_NEAR(a.data()[i], want, 1e-5) << "step " << step;
    }
    previous = a;
  }
}

TEST(Kfac, ConfigRoundTripsAndBadSettingsAreRefused) {
  const nlohmann::json c = {{"type", "kfac"}, {"damping", 0.01}, {"factor_interval", 5}};
  auto opt = make_optimizer(c);
  const nlohmann::json back = opt->config();
  EXPECT_EQ(back["damping"], 0.01);
  EXPECT_EQ(back["factor_interval"], 5);
  EXPECT_EQ(make_optimizer(back)->config(), back);
  EXPECT_THROW(make_optimizer({{"type", "kfac"}, {"dampng", 0.1}}), std::invalid_argument);
  EXPECT_THROW(make_optimizer({{"type", "kfac"}, {"damping", 0}}), std::invalid_argument);
  EXPECT_THROW(make_optimizer({{"type", "kfac"}, {"inverse_interval", 0}}), std::invalid_argument);
  EXPECT_THROW(make_optimizer({{"type", "kfac"}, {"stat_decay", 1.0}}), std::invalid_argument);
}

TEST(Kfac, StepWithoutPrepareIsRefused) {
  auto net = small_net();
  auto opt = make_kfac({});
  EXPECT_THROW(opt->step(net->parameters(), 0.1f), std::logic_error);
}

// Restoring the optimizer state (factors, momentum, step count) continues the same run: the
// eigendecompositions are rebuilt from the restored factors.
TEST(Kfac, RestoredStateContinuesTheSameRun) {
  const KfacOptions o{.factor_interval = 1, .inverse_interval = 1};
  auto straight = small_net();
  auto opt = make_kfac(o);
  for (int step = 0; step < 5; ++step) train_small(*straight, *opt, step);

  auto resumed = small_net();
  auto first = make_kfac(o);
  for (int step = 0; step < 3; ++step) train_small(*resumed, *first, step);
  auto second = make_optimizer(first->config());
  for (auto& [k, t] : first->state()) second->state()[k] = t.clone();
  second->set_steps(first->steps());
  for (int step = 3; step < 5; ++step) train_small(*resumed, *second, step);

  const auto a = straight->parameters(), b = resumed->parameters();
  for (size_t i = 0; i < a.size(); ++i)
    for (int64_t k = 0; k < a[i]->value.numel(); ++k)
      ASSERT_EQ(a[i]->value.data()[k], b[i]->value.data()[k]) << a[i]->name;
}

// On an ill-conditioned least-squares problem (feature scales 1 to 1/32) K-FAC's default
// settings get further in 10 steps than SGD with momentum, each at its best learning rate.
TEST(Kfac, ConvergesFasterThanSgdOnIllConditionedLeastSquares) {
  Tensor x = random_tensor({64, 6}, 20);
  for (int64_t n = 0; n < 64; ++n)  // features on scales from 1 to 1/32
    for (int64_t f = 0; f < 6; ++f) x.data()[n * 6 + f] /= float(1 << f);
  const Tensor w_true = random_tensor({2, 6}, 21);
  Tensor y = Tensor::zeros({64, 2});
  for (int64_t n = 0; n < 64; ++n)
    for (int64_t o = 0; o < 2; ++o)
      for (int64_t f = 0; f < 6; ++f)
        y.data()[n * 2 + o] += w_true.data()[o * 6 + f] * x.data()[n * 6 + f];
  auto run = [&](Optimizer& opt, float lr) {
    Linear lin({.in_features = 6, .out_features = 2});
    lin.initialize(22);
    float loss = 0;
    for (int s = 0; s < 10; ++s)
      loss = train_step(lin, opt, lr, x, [&](const Tensor& p) { return mse_loss(p, y); });
    return loss;
  };
  // Each at its best learning rate of the same grid.
  float kfac_loss = INFINITY, sgd_loss = INFINITY;
  for (float lr : {0.01f, 0.03f, 0.1f, 0.3f, 1.f}) {
    auto kfac = make_kfac({});
    auto sgd = make_sgd({.momentum = 0.9f});
    kfac_loss = std::min(kfac_loss, run(*kfac, lr));
    sgd_loss = std::min(sgd_loss, run(*sgd, lr));
  }
  EXPECT_LT(kfac_loss, 0.6f * sgd_loss) << "kfac " << kfac_loss << " sgd " << sgd_loss;
}

}  // namespace
}  // namespace tessera
