#include "tessera/train/optimizer.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tessera/train/schedule.hpp"

namespace tessera {
namespace {

using nlohmann::json;
using Values = std::vector<float>;

// The parameter of the hand-computed cases: w0 = [1, -2, 3], gradients g1 then g2.
const Values kW0 = {1, -2, 3}, kG1 = {0.5f, 1, -1}, kG2 = {-0.5f, 2, 1};

Param make_param(const std::string& name, bool decay = true) {
  return {.name = name,
          .value = Tensor::from_vector({3}, kW0),
          .grad = Tensor::zeros({3}),
          .decay = decay};
}

// Two steps of `opt` with lr 0.1 on the gradients g1, g2; returns the weights after each.
std::vector<Values> two_steps(Optimizer& opt, Param& p) {
  std::vector<Values> out;
  for (const Values& g : {kG1, kG2}) {
    p.grad = Tensor::from_vector({3}, g);
    opt.step({&p}, 0.1f);
    out.push_back(p.value.to_vector());
  }
  return out;
}

void expect_values(const Values& got, const Values& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5) << what << " [" << i << "]";
}

void expect_two_steps(Optimizer& opt, const Values& after1, const Values& after2) {
  Param p = make_param("w");
  const auto w = two_steps(opt, p);
  expect_values(w[0], after1, "step 1");
  expect_values(w[1], after2, "step 2");
  EXPECT_EQ(opt.steps(), 2);
}

TEST(Optimizer, PlainSgd) {
  // w -= 0.1 g: [1,-2,3] - 0.1 [0.5,1,-1] = [0.95,-2.1,3.1]; then - 0.1 [-0.5,2,1].
  auto opt = make_sgd({.momentum = 0.f});
  expect_two_steps(*opt, {0.95f, -2.1f, 3.1f}, {1.f, -2.3f, 3.f});
  EXPECT_TRUE(opt->state().empty());  // no momentum, no state
}

TEST(Optimizer, SgdWeightDecay) {
  // g' = g + 0.1 w: step 1 g' = [0.6,0.8,-0.7] -> [0.94,-2.08,3.07];
  // step 2 g' = [-0.406,1.792,1.307] -> [0.9806,-2.2592,2.9393].
  auto opt = make_sgd({.momentum = 0.f, .weight_decay = 0.1f});
  expect_two_steps(*opt, {0.94f, -2.08f, 3.07f}, {0.9806f, -2.2592f, 2.9393f});
}

TEST(Optimizer, SgdMomentum) {
  // v1 = g1, w1 = w0 - 0.1 g1; v2 = 0.9 g1 + g2 = [-0.05,2.9,0.1], w2 = w1 - 0.1 v2.
  auto opt = make_sgd({.momentum = 0.9f});
  expect_two_steps(*opt, {0.95f, -2.1f, 3.1f}, {0.955f, -2.39f, 3.09f});
  ASSERT_EQ(opt->state().count("w/momentum"), 1u);
  expect_values(opt->state().at("w/momentum").to_vector(), {-0.05f, 2.9f, 0.1f}, "momentum");
}

TEST(Optimizer, SgdMomentumWithDecay) {
  // Decay joins the gradient before the momentum buffer: g1' = [0.6,0.8,-0.7] = v1;
  // g2' = [-0.406,1.792,1.307], v2 = 0.9 v1 + g2' = [0.134,2.512,0.677].
  auto opt = make_sgd({.momentum = 0.9f, .weight_decay = 0.1f});
  expect_two_steps(*opt, {0.94f, -2.08f, 3.07f}, {0.9266f, -2.3312f, 3.0023f});
}

TEST(Optimizer, SgdNesterov) {
  // w -= 0.1 (g + 0.9 v): step 1 v = g1, w1 = w0 - 0.19 g1 = [0.905,-2.19,3.19];
  // step 2 v = [-0.05,2.9,0.1], g2 + 0.9 v = [-0.545,4.61,1.09].
  auto opt = make_sgd({.momentum = 0.9f, .nesterov = true});
  expect_two_steps(*opt, {0.905f, -2.19f, 3.19f}, {0.9595f, -2.651f, 3.081f});
}

TEST(Optimizer, Adam) {
  // Step 1: bias-corrected m/sqrt(v) = g/|g|, so w moves by 0.1 against the sign.
  // Step 2, element 0: m = 0.9*0.05 - 0.05 = -0.005, m^ = -0.005/0.19;
  // v = 0.999*0.00025 + 0.00025 = 0.00049975, v^ = v/0.001999 = 0.25 -> w += 0.1*0.0263158/0.5.
  auto opt = make_adam({});
  expect_two_steps(*opt, {0.9f, -2.1f, 3.1f}, {0.9052632f, -2.1965182f, 3.0947368f});
  EXPECT_EQ(opt->state().count("w/m"), 1u);
  EXPECT_EQ(opt->state().count("w/v"), 1u);
  expect_values(opt->state().at("w/m").to_vector(), {-0.005f, 0.29f, 0.01f}, "first moment");
}

TEST(Optimizer, AdamL2) {
  // L2 decay is part of the gradient: step 1 g' = g1 + 0.1 w0, same signs, so w1 = w0 -+ 0.1.
  auto opt = make_adam({.weight_decay = 0.1f});
  expect_two_steps(*opt, {0.9f, -2.1f, 3.1f}, {0.8866836f, -2.195272f, 3.065928f});
}

TEST(Optimizer, AdamW) {
  // Decoupled: w -= 0.1*0.1*w on top of the plain Adam step: step 1 [1-0.01-0.1, ...].
  auto opt = make_adam({.weight_decay = 0.1f, .decoupled = true});
  expect_two_steps(*opt, {0.89f, -2.08f, 3.07f}, {0.8863632f, -2.1557182f, 3.0340368f});
}

TEST(Optimizer, NoDecayWhereParamSaysSo) {
  // With decay = false each optimizer must match the same optimizer without weight decay.
  const float wd = 0.5f;
  std::vector<std::pair<std::unique_ptr<Optimizer>, std::unique_ptr<Optimizer>>> cases;
  cases.emplace_back(make_sgd({.momentum = 0.9f, .weight_decay = wd}), make_sgd({}));
  cases.emplace_back(make_adam({.weight_decay = wd}), make_adam({}));
  cases.emplace_back(make_adam({.weight_decay = wd, .decoupled = true}),
                     make_adam({.decoupled = true}));
  for (auto& [with_decay, without] : cases) {
    Param bias = make_param("b", /*decay=*/false), plain = make_param("b");
    const auto got = two_steps(*with_decay, bias), want = two_steps(*without, plain);
    expect_values(got[1], want[1], with_decay->config().dump());
  }
}

TEST(Optimizer, SkipsParamsWithoutGradient) {
  Param p = make_param("w");
  p.grad = Tensor();
  auto opt = make_adam({});
  opt->step({&p}, 0.1f);
  EXPECT_EQ(p.value.to_vector(), kW0);
  EXPECT_EQ(opt->steps(), 1);
}

TEST(Optimizer, ResumesFromRestoredState) {
  // A checkpoint saves state() and steps(); a fresh optimizer given both continues exactly.
  auto full = make_adam({.weight_decay = 0.01f});
  Param a = make_param("w");
  const auto want = two_steps(*full, a);

  auto first = make_adam({.weight_decay = 0.01f});
  Param b = make_param("w");
  b.grad = Tensor::from_vector({3}, kG1);
  first->step({&b}, 0.1f);
  auto resumed = make_optimizer(first->config());
  for (const auto& [key, t] : first->state()) resumed->state()[key] = t.clone();
  resumed->set_steps(first->steps());
  b.grad = Tensor::from_vector({3}, kG2);
  resumed->step({&b}, 0.1f);
  EXPECT_EQ(b.value.to_vector(), want[1]);
}

TEST(Optimizer, StateShapeMismatchThrows) {
  auto opt = make_sgd({.momentum = 0.9f});
  opt->state()["w/momentum"] = Tensor::zeros({4});
  Param p = make_param("w");
  p.grad = Tensor::from_vector({3}, kG1);
  EXPECT_THROW(opt->step({&p}, 0.1f), std::invalid_argument);
}

TEST(OptimizerConfig, RoundTrip) {
  const json sgd = {{"type", "sgd"}, {"momentum", 0.8}, {"weight_decay", 1e-4}, {"nesterov", true}};
  EXPECT_EQ(make_optimizer(sgd)->config(), sgd);
  const json adamw = {
      {"type", "adamw"}, {"beta1", 0.85}, {"beta2", 0.99}, {"eps", 1e-6}, {"weight_decay", 0.05}};
  EXPECT_EQ(make_optimizer(adamw)->config(), adamw);
  // Missing keys take the option structs' defaults, and config() spells them all out.
  const json adam = make_optimizer({{"type", "adam"}})->config();
  EXPECT_EQ(adam, (json{{"type", "adam"},
                        {"beta1", 0.9},
                        {"beta2", 0.999},
                        {"eps", 1e-8},
                        {"weight_decay", 0.0}}));
  EXPECT_EQ(make_optimizer(adam)->config(), adam);
  EXPECT_EQ(make_optimizer({{"type", "sgd"}})->config()["momentum"], 0.9);
}

TEST(OptimizerConfig, BadSettingsThrow) {
  try {
    make_optimizer({{"type", "sgd"}, {"beta1", 0.9}});
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("optimizer sgd: beta1: unknown setting; known: ", 0), 0u)
        << e.what();
  }
  EXPECT_THROW(make_optimizer({{"type", "adam"}, {"momentum", 0.9}}), std::invalid_argument);
  EXPECT_THROW(make_optimizer({{"type", "rmsprop"}}), std::invalid_argument);
  EXPECT_THROW(make_optimizer({{"momentum", 0.9}}), std::invalid_argument);
  EXPECT_THROW(make_optimizer({{"type", "sgd"}, {"momentum", "high"}}), std::invalid_argument);
  EXPECT_THROW(make_optimizer({{"type", "sgd"}, {"momentum", 1.5}}), std::invalid_argument);
  EXPECT_THROW(make_optimizer({{"type", "adam"}, {"eps", 0}}), std::invalid_argument);
}

// f(w) = 1/2 sum a_i (w_i - c_i)^2, an ill-conditioned bowl; returns the loss after `steps`.
double minimise_quadratic(Optimizer& opt, float lr, int steps) {
  const Values a = {1, 3, 10}, c = {1, -2, 3};
  Param p{.name = "w", .value = Tensor::zeros({3}), .grad = Tensor::zeros({3})};
  auto loss = [&] {
    double f = 0;
    for (int i = 0; i < 3; ++i) f += 0.5 * a[i] * std::pow(p.value.data()[i] - c[i], 2);
    return f;
  };
  for (int s = 0; s < steps; ++s) {
    for (int i = 0; i < 3; ++i) p.grad.data()[i] = a[i] * (p.value.data()[i] - c[i]);
    opt.step({&p}, lr);
  }
  return loss();
}

TEST(Optimizer, MinimisesQuadratic) {
  const double start = 0.5 * (1 * 1 + 3 * 4 + 10 * 9);
  struct Case {
    std::unique_ptr<Optimizer> opt;
    float lr;
  };
  Case cases[] = {{make_sgd({.momentum = 0.f}), 0.05f},
                  {make_sgd({.momentum = 0.9f}), 0.02f},
                  {make_sgd({.momentum = 0.9f, .nesterov = true}), 0.02f},
                  {make_adam({}), 0.05f},
                  {make_adam({.weight_decay = 1e-4f, .decoupled = true}), 0.05f}};
  for (auto& [opt, lr] : cases)
    EXPECT_LT(minimise_quadratic(*opt, lr, 300), start / 100) << opt->config().dump();
}

TEST(Schedule, ConstantWithWarmup) {
  const LrSchedule s{.base_lr = 0.1, .warmup_steps = 4};
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.025);  // 0.1 * 1/4
  EXPECT_DOUBLE_EQ(s.lr_at(1), 0.05);
  EXPECT_DOUBLE_EQ(s.lr_at(3), 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(1000), 0.1);
}

TEST(Schedule, StepWithWarmup) {
  const LrSchedule s{.kind = LrSchedule::Kind::step,
                     .base_lr = 0.1,
                     .warmup_steps = 2,
                     .step_size = 3,
                     .gamma = 0.5};
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.05);
  EXPECT_DOUBLE_EQ(s.lr_at(1), 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(2), 0.1);    // first step after warm-up
  EXPECT_DOUBLE_EQ(s.lr_at(4), 0.1);    // (4-2)/3 = 0
  EXPECT_DOUBLE_EQ(s.lr_at(5), 0.05);   // (5-2)/3 = 1
  EXPECT_DOUBLE_EQ(s.lr_at(8), 0.025);  // (8-2)/3 = 2
}

TEST(Schedule, CosineWithWarmup) {
  const LrSchedule s{.kind = LrSchedule::Kind::cosine,
                     .base_lr = 1.0,
                     .warmup_steps = 2,
                     .total_steps = 12,
                     .min_lr = 0.1};
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.5);
  EXPECT_DOUBLE_EQ(s.lr_at(2), 1.0);  // progress 0
  // progress 2/10: 0.1 + 0.45 (1 + cos(0.2 pi)) = 0.1 + 0.45 * 1.8090170
  EXPECT_NEAR(s.lr_at(4), 0.9140576, 1e-7);
  EXPECT_NEAR(s.lr_at(7), 0.55, 1e-12);  // progress 1/2
  EXPECT_DOUBLE_EQ(s.lr_at(12), 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(500), 0.1);  // clamped after the end
}

TEST(Schedule, JsonRoundTrip) {
  const LrSchedule s{.kind = LrSchedule::Kind::cosine,
                     .base_lr = 0.3,
                     .warmup_steps = 5,
                     .step_size = 7,
                     .gamma = 0.2,
                     .total_steps = 90,
                     .min_lr = 1e-4};
  const json j = s.to_json();
  EXPECT_EQ(j["kind"], "cosine");
  EXPECT_EQ(LrSchedule::from_json(j).to_json(), j);
  const LrSchedule d = LrSchedule::from_json({{"kind", "step"}});
  EXPECT_EQ(d.kind, LrSchedule::Kind::step);
  EXPECT_EQ(d.base_lr, LrSchedule{}.base_lr);
  EXPECT_EQ(d.step_size, LrSchedule{}.step_size);
}

TEST(Schedule, BadJsonThrows) {
  EXPECT_THROW(LrSchedule::from_json({{"kind", "linear"}}), std::invalid_argument);
  EXPECT_THROW(LrSchedule::from_json({{"kind", "step"}, {"steps", 3}}), std::invalid_argument);
  EXPECT_THROW(LrSchedule::from_json({{"step_size", 0}}), std::invalid_argument);
  EXPECT_THROW(LrSchedule::from_json({{"base_lr", "big"}}), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
