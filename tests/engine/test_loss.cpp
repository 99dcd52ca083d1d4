#include "tessera/ops/loss.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "gradcheck.hpp"

namespace tessera {
namespace {

using testing::expect_gradient_close;
using testing::random_tensor;
using LossFn = std::function<LossResult(const Tensor&, const Tensor&, const LossOptions&)>;

// 0/1 mask with roughly half the elements kept (at least the first one).
Tensor random_mask(const Shape& shape, uint64_t seed) {
  Tensor m = random_tensor(shape, seed);
  for (int64_t i = 0; i < m.numel(); ++i) m.data()[i] = (i == 0 || m.data()[i] > 0) ? 1.f : 0.f;
  return m;
}

// Class indices in [0, classes) stored as floats, shape [N,1,*S].
Tensor random_labels(Shape shape, int64_t classes, uint64_t seed) {
  shape[1] = 1;
  Tensor l = random_tensor(shape, seed, 0.f, float(classes));
  for (int64_t i = 0; i < l.numel(); ++i)
    l.data()[i] = std::min(std::floor(l.data()[i]), float(classes - 1));
  return l;
}

// Checks d loss / d prediction against finite differences for the plain, weighted and masked
// variants of one loss. `option_shape` is the shape of weight and mask.
void check_loss_gradients(const std::string& name, const LossFn& loss, const Shape& shape,
                          const Tensor& target, const Shape& option_shape) {
  const LossOptions variants[] = {
      {},
      {.weight = random_tensor(option_shape, 21, 0.5f, 2.f), .mask = {}},
      {.weight = random_tensor(option_shape, 22, 0.5f, 2.f), .mask = random_mask(option_shape, 23)},
  };
  const char* labels[] = {"plain", "weighted", "weighted+masked"};
  for (int v = 0; v < 3; ++v) {
    Tensor x = random_tensor(shape, 7 + v, -2.f, 2.f);
    const LossResult r = loss(x, target, variants[v]);
    ASSERT_TRUE(std::isfinite(r.value));
    // A mean over many elements has per-element gradients below the checker's absolute
    // tolerance; scaling f and the gradient by the element count keeps the check meaningful.
    const double k = double(x.numel());
    Tensor scaled = r.grad.clone();
    for (int64_t i = 0; i < scaled.numel(); ++i) scaled.data()[i] *= float(k);
    expect_gradient_close(name + " " + labels[v] + " " + to_string(shape), x, scaled,
                          [&] { return k * loss(x, target, variants[v]).value; });
  }
}

// dice_loss with the default smooth, as a LossFn.
LossResult dice(const Tensor& z, const Tensor& t, const LossOptions& o) {
  return dice_loss(z, t, o);
}

const Shape k2d = {2, 3, 4, 5};
const Shape k3d = {2, 2, 3, 4, 3};

class ElementwiseLoss : public ::testing::TestWithParam<Shape> {};

TEST_P(ElementwiseLoss, MseGradient) {
  const Shape s = GetParam();
  check_loss_gradients("mse", mse_loss, s, random_tensor(s, 3), s);
}

TEST_P(ElementwiseLoss, L1Gradient) {
  // Targets of +-3 keep every prediction (in [-2, 2]) away from the kink at p = t.
  const Shape s = GetParam();
  Tensor t = random_mask(s, 3);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = 6 * t.data()[i] - 3;
  check_loss_gradients("l1", l1_loss, s, t, s);
}

TEST_P(ElementwiseLoss, QuantileGradient) {
  const Shape s = GetParam();
  Tensor t = random_mask(s, 3);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = 6 * t.data()[i] - 3;  // away from kinks
  const Tensor tau = random_tensor(s, 6, 0.05f, 0.95f);
  auto loss = [&](const Tensor& p, const Tensor& target, const LossOptions& o) {
    return quantile_loss(p, target, tau, o);
  };
  check_loss_gradients("quantile", loss, s, t, s);
}

TEST_P(ElementwiseLoss, BceGradient) {
  const Shape s = GetParam();
  check_loss_gradients("bce", bce_with_logits_loss, s, random_tensor(s, 3, 0.f, 1.f), s);
}

TEST_P(ElementwiseLoss, DiceGradient) {
  const Shape s = GetParam();
  check_loss_gradients("dice", dice, s, random_mask(s, 4), s);
}

TEST_P(ElementwiseLoss, SoftmaxCrossEntropyGradient) {
  const Shape s = GetParam();
  Shape label_shape = s;
  label_shape[1] = 1;
  check_loss_gradients("softmax_ce", softmax_cross_entropy_loss, s, random_labels(s, s[1], 5),
                       label_shape);
}

TEST_P(ElementwiseLoss, CentreFocalGradient) {
  // Gaussian-like targets in [0, 0.9) with a few exact centres of 1.
  const Shape s = GetParam();
  Tensor t = random_tensor(s, 3, 0.f, 0.9f);
  for (int64_t i = 0; i < t.numel(); i += 7) t.data()[i] = 1.f;
  Tensor x = random_tensor(s, 8, -2.f, 2.f);
  for (const LossOptions& o :
       {LossOptions{}, LossOptions{.weight = {}, .mask = random_mask(s, 9)}}) {
    const LossResult r = centre_focal_loss(x, t, o);
    ASSERT_TRUE(std::isfinite(r.value));
    expect_gradient_close("centre_focal " + to_string(s), x, r.grad,
                          [&] { return double(centre_focal_loss(x, t, o).value); });
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, ElementwiseLoss, ::testing::Values(k2d, k3d),
                         [](const auto& info) { return info.param.size() == 4 ? "2D" : "3D"; });

TEST(Loss, MseValue) {
  const Tensor p = Tensor::from_vector({1, 1, 1, 2}, {1, 2});
  const LossResult r = mse_loss(p, Tensor::zeros({1, 1, 1, 2}));
  EXPECT_FLOAT_EQ(r.value, 2.5f);                             // (1 + 4) / 2
  EXPECT_EQ(r.grad.to_vector(), (std::vector<float>{1, 2}));  // 2 (p - t) / 2
}

TEST(Loss, WeightAndMaskReduction) {
  // sum(w m l) / sum(m) = (2 * 1 + 0 + 1 * 9) / 2
  const Shape s = {1, 1, 1, 3};
  const LossResult r = mse_loss(
      Tensor::from_vector(s, {1, 2, 3}), Tensor::zeros(s),
      {.weight = Tensor::from_vector(s, {2, 5, 1}), .mask = Tensor::from_vector(s, {1, 0, 1})});
  EXPECT_FLOAT_EQ(r.value, 5.5f);
  EXPECT_EQ(r.grad.to_vector(), (std::vector<float>{2, 0, 3}));
}

TEST(Loss, QuantileValue) {
  // tau 0.9: under-predicting by 2 costs 0.9 * 2, over-predicting by 1 costs 0.1 * 1; tau 0.5
  // is half the absolute error.
  const Shape s = {1, 1, 1, 3};
  const LossResult r =
      quantile_loss(Tensor::from_vector(s, {1, 4, 1}), Tensor::from_vector(s, {3, 3, 2}),
                    Tensor::from_vector(s, {0.9f, 0.9f, 0.5f}));
  EXPECT_FLOAT_EQ(r.value, (1.8f + 0.1f + 0.5f) / 3);
  const std::vector<float> g = r.grad.to_vector();
  EXPECT_FLOAT_EQ(g[0], -0.9f / 3);
  EXPECT_FLOAT_EQ(g[1], 0.1f / 3);
  EXPECT_FLOAT_EQ(g[2], -0.5f / 3);
  EXPECT_THROW(quantile_loss(Tensor::zeros(s), Tensor::zeros(s), Tensor::zeros(s)),
               std::invalid_argument);
}

TEST(Loss, L1Value) {
  const Shape s = {1, 1, 2, 2};
  const LossResult r = l1_loss(Tensor::from_vector(s, {1, -2, 3, 0}), Tensor::zeros(s));
  EXPECT_FLOAT_EQ(r.value, 1.5f);
  EXPECT_EQ(r.grad.to_vector(), (std::vector<float>{0.25f, -0.25f, 0.25f, 0.f}));
}

TEST(Loss, BceValue) {
  const Shape s = {1, 1, 1, 2};
  const LossResult r = bce_with_logits_loss(Tensor::zeros(s), Tensor::from_vector(s, {0, 1}));
  EXPECT_NEAR(r.value, std::log(2.0), 1e-6);
  EXPECT_EQ(r.grad.to_vector(), (std::vector<float>{0.25f, -0.25f}));  // (sigmoid(0) - t) / 2
  // Large logits must not overflow: log(1 + e^-100) ~ 0 when right, 100 when wrong.
  const LossResult big =
      bce_with_logits_loss(Tensor::from_vector(s, {100, -100}), Tensor::from_vector(s, {1, 1}));
  EXPECT_NEAR(big.value, 50.0, 1e-4);
}

TEST(Loss, CentreFocalValue) {
  // A centre at logit 0 (p = 1/2) and a background element of target 0.5 at logit 0:
  // (1/2)^2 log 2 + (1/2)^4 (1/2)^2 log 2, over one centre.
  const Shape s = {1, 1, 1, 3};
  const LossResult r =
      centre_focal_loss(Tensor::from_vector(s, {0, 0, -100}), Tensor::from_vector(s, {1, 0.5f, 0}));
  EXPECT_NEAR(r.value, (0.25 + 1.0 / 64) * std::log(2.0), 1e-6);
  // With no centre the sum is divided by 1, not 0.
  const LossResult none = centre_focal_loss(Tensor::from_vector({1, 1, 1, 1}, {0}),
                                            Tensor::from_vector({1, 1, 1, 1}, {0}));
  EXPECT_NEAR(none.value, 0.25 * std::log(2.0), 1e-6);
}

TEST(Loss, SoftmaxCrossEntropyValue) {
  const LossResult uniform =
      softmax_cross_entropy_loss(Tensor::zeros({2, 4, 3, 3}), random_labels({2, 4, 3, 3}, 4, 9));
  EXPECT_NEAR(uniform.value, std::log(4.0), 1e-6);
  // One pixel, logits [0, ln 3] with label 1: p = 3/4, loss = ln(4/3); grad = p - onehot.
  const LossResult r =
      softmax_cross_entropy_loss(Tensor::from_vector({1, 2, 1, 1}, {0.f, float(std::log(3.0))}),
                                 Tensor::from_vector({1, 1, 1, 1}, {1}));
  EXPECT_NEAR(r.value, std::log(4.0 / 3.0), 1e-6);
  const auto g = r.grad.to_vector();
  EXPECT_NEAR(g[0], 0.25, 1e-6);
  EXPECT_NEAR(g[1], -0.25, 1e-6);
  // Huge logits stay finite (log-sum-exp is shifted by the max).
  const LossResult big = softmax_cross_entropy_loss(
      Tensor::from_vector({1, 2, 1, 1}, {1000.f, 0.f}), Tensor::from_vector({1, 1, 1, 1}, {1}));
  EXPECT_NEAR(big.value, 1000.0, 1e-3);
}

TEST(Loss, SoftmaxCrossEntropyIgnoresNegativeLabels) {
  // Pixel 0 is ignored, so the mean is over pixel 1 alone: uniform logits give ln 2.
  const LossResult r = softmax_cross_entropy_loss(Tensor::zeros({1, 2, 1, 2}),
                                                  Tensor::from_vector({1, 1, 1, 2}, {-1, 0}));
  EXPECT_NEAR(r.value, std::log(2.0), 1e-6);
  const auto g = r.grad.to_vector();  // layout [c][x]: c0x0, c0x1, c1x0, c1x1
  EXPECT_EQ(g[0], 0.f);
  EXPECT_EQ(g[2], 0.f);
  EXPECT_NEAR(g[1], -0.5, 1e-6);
  EXPECT_NEAR(g[3], 0.5, 1e-6);
}

TEST(Loss, SoftmaxCrossEntropyOnFeatures) {
  // [N,F] logits: the spatial part is empty.
  const LossResult r =
      softmax_cross_entropy_loss(Tensor::zeros({3, 5}), Tensor::from_vector({3, 1}, {0, 4, 2}));
  EXPECT_NEAR(r.value, std::log(5.0), 1e-6);
}

TEST(Loss, DiceValue) {
  const Shape s = {1, 2, 2, 2};
  const Tensor t = Tensor::from_vector(s, {1, 0, 1, 0, 0, 0, 1, 1});
  Tensor z = Tensor::empty(s);
  for (int i = 0; i < 8; ++i) z.data()[i] = t.data()[i] > 0 ? 30.f : -30.f;
  EXPECT_NEAR(dice_loss(z, t).value, 0.0, 1e-6);
  // All-wrong prediction with smooth 1: per channel 1 - 1 / (2 + 2 + 1) = 0.8.
  for (int i = 0; i < 8; ++i) z.data()[i] = -z.data()[i];
  EXPECT_NEAR(dice_loss(z, t).value, 0.8, 1e-6);
  // Logits 0 (p = 1/2), channel 0 of one sample: 1 - (2 * 1 + 1) / (2 + 2 + 1) = 0.4.
  EXPECT_NEAR(dice_loss(Tensor::zeros(s), t).value, 0.4, 1e-6);
}

TEST(Loss, EmptyMaskGivesZero) {
  const Shape s = {1, 2, 2, 2};
  const LossOptions none{.weight = {}, .mask = Tensor::zeros(s)};
  const Tensor x = random_tensor(s, 1), t = random_tensor(s, 2, 0.f, 1.f);
  for (const LossFn& f : std::vector<LossFn>{mse_loss, l1_loss, bce_with_logits_loss, dice}) {
    const LossResult r = f(x, t, none);
    EXPECT_EQ(r.value, 0.f);
    for (float g : r.grad.to_vector()) EXPECT_EQ(g, 0.f);
  }
  const LossResult ce = softmax_cross_entropy_loss(
      x, random_labels(s, 2, 3), {.weight = {}, .mask = Tensor::zeros({1, 1, 2, 2})});
  EXPECT_EQ(ce.value, 0.f);
  for (float g : ce.grad.to_vector()) EXPECT_EQ(g, 0.f);
}

TEST(Loss, BlockedLayoutInput) {
  // Convolutions hand over blocked layouts; losses must read them like plain ones.
  const Shape s = {2, 8, 3, 3};
  const Tensor x = random_tensor(s, 11), t = random_tensor(s, 12, 0.f, 1.f);
  const Tensor xb = x.to_layout(Layout::channel_blocked(s, 8));
  ASSERT_FALSE(xb.is_plain());
  const LossResult plain = bce_with_logits_loss(x, t), blocked = bce_with_logits_loss(xb, t);
  EXPECT_EQ(plain.value, blocked.value);
  EXPECT_TRUE(blocked.grad.is_plain());
  EXPECT_EQ(plain.grad.to_vector(), blocked.grad.to_vector());
  EXPECT_EQ(dice_loss(x, t).value, dice_loss(xb, t).value);
}

TEST(Loss, ShapeMismatchThrows) {
  const Tensor a = Tensor::zeros({1, 2, 3, 3}), b = Tensor::zeros({1, 2, 3, 4});
  EXPECT_THROW(mse_loss(a, b), std::invalid_argument);
  EXPECT_THROW(l1_loss(a, b), std::invalid_argument);
  EXPECT_THROW(bce_with_logits_loss(a, b), std::invalid_argument);
  EXPECT_THROW(dice_loss(a, b), std::invalid_argument);
  EXPECT_THROW(mse_loss(a, a, {.weight = b, .mask = {}}), std::invalid_argument);
  EXPECT_THROW(mse_loss(a, a, {.weight = {}, .mask = b}), std::invalid_argument);
  // Labels must be [N,1,*S].
  EXPECT_THROW(softmax_cross_entropy_loss(a, a), std::invalid_argument);
  EXPECT_THROW(
      softmax_cross_entropy_loss(a, Tensor::zeros({1, 1, 3, 3}), {.weight = a, .mask = {}}),
      std::invalid_argument);
  try {
    mse_loss(a, b);
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("[1,2,3,4]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[1,2,3,3]"), std::string::npos) << msg;
  }
}

TEST(Loss, NanTargetThrows) {
  const Shape s = {1, 1, 2, 2};
  const Tensor t = Tensor::from_vector(s, {0, 1, std::numeric_limits<float>::quiet_NaN(), 0});
  try {
    bce_with_logits_loss(Tensor::zeros(s), t);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "bce_with_logits_loss: target contains NaN at element 2");
  }
  EXPECT_THROW(mse_loss(Tensor::zeros(s), t), std::invalid_argument);
  EXPECT_THROW(dice_loss(Tensor::zeros(s), t), std::invalid_argument);
}

TEST(Loss, BadLabelsThrow) {
  const Tensor z = Tensor::zeros({1, 3, 1, 2});
  for (float bad : {3.f, 1.5f, std::numeric_limits<float>::quiet_NaN()})
    EXPECT_THROW(softmax_cross_entropy_loss(z, Tensor::from_vector({1, 1, 1, 2}, {0, bad})),
                 std::invalid_argument)
        << bad;
}

}  // namespace
}  // namespace tessera
