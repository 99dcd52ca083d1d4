// Modules and containers: whole-network gradients against finite differences, skip-connection
// gradient accumulation, config round trips, and the U-Net's shapes.
#include <gtest/gtest.h>

#include "error_of.hpp"
#include "gradcheck.hpp"
#include "tessera/model/registry.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/shape_ops.hpp"

namespace tessera {
namespace {

using testing::dot;
using testing::expect_gradient_close;
using testing::random_tensor;

// Checks d dot(r, net(x)) / dx and / (first few parameters) by finite differences. Networks
// checked this way are smooth (ELU, average pooling): a perturbation that moves a ReLU input
// across zero, or swaps which of two close values a max pool picks, makes central differences
// meaningless. ReLU and max pooling are checked op by op, away from their kinks.
void check_network_gradients(Module& net, const Shape& xs, int params_to_check) {
  Tensor x = random_tensor(xs, 21);
  const Tensor r = random_tensor(net.forward(x, Mode::train).shape(), 22);
  net.clear_saved();
  net.forward(x, Mode::train);
  const Tensor dx = net.backward_one(r);
  // Train mode, so batch norm uses batch statistics in every evaluation of f.
  auto f = [&] {
    const double v = dot(r, net.forward(x, Mode::train));
    net.clear_saved();
    return v;
  };
  expect_gradient_close("input", x, dx, f, 1e-3, 5e-3, 3e-2, 20);
  int checked = 0;
  for (Param* p : net.parameters()) {
    if (checked++ >= params_to_check) break;
    const Tensor g = p->grad.clone();
    expect_gradient_close(p->name, p->value, g, f, 1e-3, 5e-3, 3e-2, 10);
  }
}

TEST(Graph, UNetGradients2D) {
  auto net = make_unet({.dims = 2,
                        .in_channels = 2,
                        .out_channels = 2,
                        .channels = {4, 8},
                        .norm = UNetOptions::Norm::batch,
                        .down = PoolKind::avg,
                        .activation = Activation::elu,
                        .seed = 3});
  check_network_gradients(*net, {2, 2, 8, 8}, 100);
}

TEST(Graph, UNetGradients3DGroupNorm) {
  auto net = make_unet({.dims = 3,
                        .channels = {4, 8},
                        .norm = UNetOptions::Norm::group,
                        .norm_groups = 2,
                        .down = PoolKind::avg,
                        .activation = Activation::elu,
                        .seed = 4});
  check_network_gradients(*net, {1, 1, 4, 4, 4}, 6);
}

TEST(Graph, UnpaddedUNetCropsSkipsAndDifferentiates) {
  auto net = make_unet({.dims = 2,
                        .channels = {4, 8},
                        .norm = UNetOptions::Norm::none,
                        .down = PoolKind::avg,
                        .activation = Activation::elu,
                        .padded = false,
                        .seed = 5});
  // 20 -> 16 -> pool 8 -> 4 -> up 8 -> 4 (skip 16 cropped to 8)
  EXPECT_EQ(net->forward(random_tensor({1, 1, 20, 20}, 1), Mode::eval).shape(),
            (Shape{1, 1, 4, 4}));
  check_network_gradients(*net, {1, 1, 20, 20}, 4);
}

TEST(Graph, SumsGradientsOfAnOutputReadTwice) {
  // y = conv_a(x) + conv_b(x): dx must be the sum of both paths.
  Graph g;
  const int a = g.add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 2, .out_channels = 3, .padding = {1, 1}}),
      Graph::input);
  const int b = g.add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 2, .out_channels = 3, .kernel = {1, 1}}),
      Graph::input);
  g.add(std::make_unique<Add>(), {a, b});
  g.initialize(7);
  check_network_gradients(g, {2, 2, 5, 5}, 4);
}

TEST(Sequential, ClassifierGradients) {
  Sequential s;
  s.add(
      std::make_unique<Conv>(ConvOptions{.in_channels = 1, .out_channels = 4, .padding = {1, 1}}));
  s.add(std::make_unique<Act>(Activation::elu, 1.f));
  s.add(std::make_unique<Pool>(PoolParams{.kind = PoolKind::avg, .kernel = {2, 2}}));
  s.add(std::make_unique<Flatten>());
  s.add(std::make_unique<Linear>(LinearOptions{.in_features = 4 * 3 * 3, .out_features = 3}));
  s.add(std::make_unique<Act>(Activation::tanh));
  s.initialize(8);
  check_network_gradients(s, {2, 1, 6, 6}, 6);
}

TEST(Module, ConfigRebuildsTheSameArchitecture) {
  auto net = make_unet({.dims = 3, .channels = {4, 8, 16}, .norm = UNetOptions::Norm::group});
  auto again = make_module(net->config());
  EXPECT_EQ(again->config(), net->config());
  EXPECT_EQ(again->parameter_count(), net->parameter_count());
  std::vector<std::string> names_a, names_b;
  for (Param* p : net->parameters()) names_a.push_back(p->name);
  for (Param* p : again->parameters()) names_b.push_back(p->name);
  EXPECT_EQ(names_a, names_b);
  EXPECT_THROW(make_module({{"type", "no_such_layer"}}), std::invalid_argument);
  EXPECT_THROW(make_module({{"type", "conv"}, {"in_channels", 1}}), std::invalid_argument);
}

// Every layer reads its own settings back, refuses unknown ones and names where they sit.
TEST(Module, ConfigErrorsNameTheSetting) {
  using tessera::testing::error_of;
  nlohmann::json net = make_unet({.dims = 2, .channels = {4, 8}})->config();
  net["nodes"][0]["module"]["kernal"] = {3, 3};
  EXPECT_EQ(error_of([&] {
              make_module(net);
            }).rfind("module config: nodes[0].module.kernal: unknown setting; known: type, ", 0),
            0u);
  EXPECT_EQ(error_of([&] {
              make_module({{"type", "conv"}, {"in_channels", 1}});
            }),
            "module config: out_channels: missing");
  EXPECT_EQ(error_of([&] {
              make_module({{"type", "softmax"}, {"axis", "one"}});
            }),
            "module config: axis: has the wrong type: \"one\"");
  EXPECT_EQ(error_of([&] {
              make_module({{"type", "rev_sequence"}, {"blocks", {{{"type", "flatten"}}}}});
            }),
            "module config: blocks[0]: 'flatten' is not reversible");
  EXPECT_HAS(error_of([&] {
               make_module({{"type", "no_such_layer"}});
             }),
             "module config: type: unknown module type 'no_such_layer'; known: activation, ");
  // Each layer round-trips through its own config.
  for (const nlohmann::json& c :
       nlohmann::json::array({{{"type", "upsample"}, {"mode", "linear"}, {"scale", {2, 2}}},
                              {{"type", "dropout"}, {"p", 0.25}, {"seed", 7u}, {"calls", 3u}},
                              {{"type", "lstm"},
                               {"input_size", 3},
                               {"hidden_size", 4},
                               {"return_sequence", true},
                               {"forget_bias", 1.0}},
                              {{"type", "concat"}, {"axis", 2}},
                              {{"type", "invertible_downsample"},
                               {"dims", 2},
                               {"factor", 2},
                               {"store_activations", false}}}))
    EXPECT_EQ(make_module(c)->config(), c);
}

// A convolution's twin without padding along one axis shares the weights, and its output is the
// padded output's rows that did not read the padding.
TEST(Module, ConvTwinWithoutPaddingSharesWeights) {
  Conv c(ConvOptions{.in_channels = 2, .out_channels = 3, .kernel = {3, 3}, .padding = {1, 1}});
  c.initialize(3);
  EXPECT_TRUE(c.geometry().zero_padding);
  const std::unique_ptr<Module> twin = c.without_padding(0);
  ASSERT_NE(twin, nullptr);
  EXPECT_EQ(twin->config()["padding"], (Shape{0, 1}));
  EXPECT_EQ(twin->parameters()[0]->value.raw(), c.weight().value.raw());
  const Tensor x = testing::random_tensor({1, 2, 6, 5}, 4);
  const Tensor padded = c.forward(x, Mode::eval), unpadded = twin->forward(x, Mode::eval);
  testing::expect_close(crop(padded, {0, 0, 1, 0}, {1, 3, 4, 5}), unpadded, 1e-6f);
  EXPECT_EQ(Pool(PoolParams{.kernel = {2, 2}}).without_padding(0), nullptr);
  EXPECT_FALSE(Pool(PoolParams{.kernel = {2, 2}}).geometry().zero_padding);
}

TEST(Module, SeededInitialisationIsReproducible) {
  auto a = make_unet({.dims = 2, .channels = {4, 8}, .seed = 42});
  auto b = make_unet({.dims = 2, .channels = {4, 8}, .seed = 42});
  auto c = make_unet({.dims = 2, .channels = {4, 8}, .seed = 43});
  const auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
  EXPECT_EQ(pa[0]->value.to_vector(), pb[0]->value.to_vector());
  EXPECT_NE(pa[0]->value.to_vector(), pc[0]->value.to_vector());
}

TEST(Module, StatesItsGeometry) {
  Conv conv(ConvOptions{.in_channels = 1,
                        .out_channels = 1,
                        .kernel = {3, 5},
                        .stride = {1, 2},
                        .padding = {1, 2},
                        .dilation = {2, 1}});
  const Geometry g = conv.geometry();
  EXPECT_EQ(g.kind, Geometry::Kind::window);
  EXPECT_EQ(g.kernel, (Shape{3, 5}));
  EXPECT_EQ(g.stride, (Shape{1, 2}));
  EXPECT_EQ(g.padding, (Shape{1, 2}));
  EXPECT_EQ(g.dilation, (Shape{2, 1}));
  EXPECT_EQ(Pool(PoolParams{.kernel = {2, 2}}).geometry().stride, (Shape{2, 2}));
  EXPECT_EQ(Upsample(UpsampleMode::nearest, {2, 2}).geometry().kind, Geometry::Kind::upsample);
  EXPECT_EQ(Act(Activation::relu).geometry().kind, Geometry::Kind::pointwise);
}

TEST(Module, BatchNormEvalUsesRunningStatistics) {
  BatchNorm bn(BatchNormOptions{.channels = 2, .momentum = 1.f});  // running = last batch
  Tensor x = random_tensor({4, 2, 3, 3}, 9, 2.f, 6.f);
  const Tensor y_train = bn.forward(x, Mode::train);
  bn.clear_saved();
  // With momentum 1 the running statistics are the batch's (variance unbiased), so eval output
  // differs from train output only by the variance correction n/(n-1).
  const Tensor y_eval = bn.forward(x, Mode::eval);
  const double n = 4 * 9;
  const auto a = y_train.to_vector(), b = y_eval.to_vector();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i] * std::sqrt((n - 1) / n), 1e-3);
}

// The fused batch norm + ReLU module against the pair it replaces, in every mode, and its
// config round trip.
TEST(Module, BatchNormWithReluIsBatchNormThenRelu) {
  BatchNorm fused(BatchNormOptions{.channels = 12, .relu = true});
  Sequential pair;
  pair.add(std::make_unique<BatchNorm>(BatchNormOptions{.channels = 12}));
  pair.add(std::make_unique<Act>(Activation::relu));
  const Tensor x = random_tensor({2, 12, 5, 4}, 10), dy = random_tensor({2, 12, 5, 4}, 11);
  auto close = [](const Tensor& a, const Tensor& b) {
    testing::expect_close(a.to_plain(), b.to_plain(), 1e-5f);
  };
  for (Mode mode : {Mode::train, Mode::recompute}) {
    close(fused.forward(x, mode), pair.forward(x, mode));
    close(fused.backward_one(dy), pair.backward_one(dy));
    close(fused.parameters()[0]->grad, pair.parameters()[0]->grad);
    close(fused.parameters()[1]->grad, pair.parameters()[1]->grad);
  }
  close(fused.forward(x, Mode::eval), pair.forward(x, Mode::eval));
  EXPECT_EQ(make_module(fused.config())->config(), fused.config());
  EXPECT_TRUE(fused.config().at("relu").get<bool>());
  EXPECT_FALSE(BatchNorm(BatchNormOptions{.channels = 2}).config().contains("relu"));
}

TEST(Module, BackwardWithoutForwardIsAnError) {
  Conv conv(ConvOptions{.in_channels = 1, .out_channels = 1});
  EXPECT_THROW(conv.backward_one(Tensor::zeros({1, 1, 4, 4})), std::logic_error);
  conv.forward(Tensor::zeros({1, 1, 4, 4}), Mode::eval);  // eval keeps nothing
  EXPECT_THROW(conv.backward_one(Tensor::zeros({1, 1, 4, 4})), std::logic_error);
}

TEST(Module, RejectsWrongInputChannels) {
  auto net = make_unet({.dims = 2, .channels = {4, 8}});
  EXPECT_THROW(net->forward(Tensor::zeros({1, 3, 8, 8}), Mode::eval), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
