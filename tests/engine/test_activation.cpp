#include <cmath>
#include <utility>

#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/ops/activation.hpp"

namespace tessera {
namespace {

using testing::blocked8;
using testing::dot;
using testing::expect_close;
using testing::expect_gradient_close;
using testing::random_tensor;

// Values in [-2,-0.1] or [0.1,2]: finite differences never straddle relu's kink at 0.
Tensor away_from_zero(const Shape& shape, uint64_t seed) {
  Tensor t = random_tensor(shape, seed, -1.f, 1.f);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float v = t.data()[i];
    t.data()[i] = std::copysign(0.1f + 1.9f * std::abs(v), v);
  }
  return t;
}

constexpr float kAlpha = 0.3f;
const Activation kAll[] = {Activation::identity, Activation::relu,    Activation::leaky_relu,
                           Activation::elu,      Activation::sigmoid, Activation::tanh};

float reference(Activation a, float x) {
  switch (a) {
    case Activation::identity:
      return x;
    case Activation::relu:
      return x > 0 ? x : 0.f;
    case Activation::leaky_relu:
      return x > 0 ? x : kAlpha * x;
    case Activation::elu:
      return x > 0 ? x : kAlpha * (std::exp(x) - 1.f);
    case Activation::sigmoid:
      return 1.f / (1.f + std::exp(-x));
    case Activation::tanh:
      return std::tanh(x);
  }
  return 0.f;
}

TEST(Activation, ForwardMatchesFormulas) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 1, -3.f, 3.f);
  for (Activation a : kAll) {
    const auto y = activation_forward(x, a, kAlpha).to_vector();
    for (int64_t i = 0; i < x.numel(); ++i)
      ASSERT_NEAR(y[i], reference(a, x.data()[i]), 1e-5f) << to_string(a) << " element " << i;
  }
}

TEST(Activation, NamesRoundTrip) {
  for (Activation a : kAll) EXPECT_EQ(activation_from_string(to_string(a)), a);
  EXPECT_THROW(activation_from_string("swish"), std::invalid_argument);
}

TEST(Activation, ReluIgnoresAlpha) {
  const Tensor x = Tensor::from_vector({1, 1, 1, 2}, {-1.f, 2.f});
  EXPECT_EQ(activation_forward(x, Activation::relu, 0.5f).to_vector(), (std::vector<float>{0, 2}));
}

void check_gradients(const Shape& shape) {
  for (Activation a : kAll) {
    Tensor x = away_from_zero(shape, 2);
    const Tensor r = random_tensor(shape, 3);
    const Tensor y = activation_forward(x, a, kAlpha);
    const Tensor dx = activation_backward(x, y, r, a, kAlpha);
    expect_gradient_close(to_string(a) + " dx", x, dx,
                          [&] { return dot(r, activation_forward(x, a, kAlpha)); });
  }
}

TEST(Activation, Gradient2D) {
  check_gradients({2, 3, 4, 5});
}
TEST(Activation, Gradient3D) {
  check_gradients({2, 3, 4, 3, 5});
}

TEST(Activation, BackwardNeedsOnlyWhatTheHeaderSays) {
  const Tensor x = away_from_zero({2, 3, 4, 4}, 4), dy = random_tensor({2, 3, 4, 4}, 5);
  // Output-based where the output determines the derivative; a negative slope needs x.
  EXPECT_TRUE(activation_backward_uses_output(Activation::relu));
  EXPECT_TRUE(activation_backward_uses_output(Activation::elu, 1.f));
  EXPECT_TRUE(activation_backward_uses_output(Activation::sigmoid));
  EXPECT_FALSE(activation_backward_uses_output(Activation::leaky_relu, -0.5f));
  for (auto [a, alpha] : {std::pair{Activation::relu, 0.f},
                          {Activation::elu, 1.f},
                          {Activation::tanh, 0.f},
                          {Activation::leaky_relu, -0.5f}}) {
    const Tensor y = activation_forward(x, a, alpha);
    const Tensor dx = activation_backward(x, y, dy, a, alpha);
    if (activation_backward_uses_output(a, alpha)) {
      expect_close(activation_backward(Tensor(), y, dy, a, alpha), dx);
      EXPECT_THROW(activation_backward(x, Tensor(), dy, a, alpha), std::invalid_argument);
    } else {
      expect_close(activation_backward(x, Tensor(), dy, a, alpha), dx);
      EXPECT_THROW(activation_backward(Tensor(), y, dy, a, alpha), std::invalid_argument);
    }
  }
  EXPECT_THROW(activation_backward(x, activation_forward(x, Activation::relu),
                                   Tensor::zeros({2, 3, 4, 5}), Activation::relu),
               std::invalid_argument);
}

void check_blocked(const Shape& shape) {
  const Tensor x = away_from_zero(shape, 6), dy = random_tensor(shape, 7);
  const Tensor xb = blocked8(x);
  for (Activation a : kAll) {
    const Tensor y = activation_forward(x, a, kAlpha), yb = activation_forward(xb, a, kAlpha);
    EXPECT_EQ(yb.layout(), xb.layout()) << to_string(a) << " should keep the blocked layout";
    expect_close(yb, y);
    const Tensor dx = activation_backward(x, y, dy, a, kAlpha);
    expect_close(activation_backward(xb, yb, dy, a, kAlpha), dx);  // plain dy
    const Tensor dxb = activation_backward(xb, yb, blocked8(dy), a, kAlpha);
    expect_close(dxb, dx);
  }
}

TEST(Activation, BlockedInput2D) {
  check_blocked({2, 8, 4, 5});
}
TEST(Activation, BlockedInput3D) {
  check_blocked({2, 8, 3, 4, 5});
}

}  // namespace
}  // namespace tessera
