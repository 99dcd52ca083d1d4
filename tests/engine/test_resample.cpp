#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/ops/resample.hpp"

namespace tessera {
namespace {

using testing::blocked8;
using testing::dot;
using testing::expect_gradient_close;
using testing::random_tensor;

// These ops accumulate over whole planes: a looser default than the shared 1e-6.
void expect_close(const Tensor& a, const Tensor& b, float tol = 1e-5f) {
  testing::expect_close(a, b, tol);
}

TEST(Resample, NearestKnownValues2D) {
  const Tensor x = Tensor::from_vector({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor y = upsample_forward(x, UpsampleMode::nearest, {2, 3});
  ASSERT_EQ(y.shape(), (Shape{1, 1, 4, 6}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 1, 1, 2, 2, 2,  //
                                               1, 1, 1, 2, 2, 2,  //
                                               3, 3, 3, 4, 4, 4,  //
                                               3, 3, 3, 4, 4, 4}));
}

TEST(Resample, NearestKnownValues3D) {
  const Tensor x = Tensor::from_vector({1, 1, 2, 1, 2}, {1, 2, 3, 4});
  const auto y = upsample_forward(x, UpsampleMode::nearest, {2, 2, 1}).to_vector();
  EXPECT_EQ(y, (std::vector<float>{1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 3, 4}));
}

// Half-pixel centres with a factor of 2: output i samples input (i + 0.5) / 2 - 0.5, clamped,
// so along a length-2 axis with values 0, 1 the output is 0, 0.25, 0.75, 1.
constexpr float kRamp[] = {0.f, 0.25f, 0.75f, 1.f};

TEST(Resample, LinearKnownValues2D) {
  // x[h][w] = 2h + w is linear, so bilinear interpolation reproduces it exactly.
  const Tensor x = Tensor::from_vector({1, 1, 2, 2}, {0, 1, 2, 3});
  const auto y = upsample_forward(x, UpsampleMode::linear, {2, 2}).to_vector();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_FLOAT_EQ(y[i * 4 + j], 2 * kRamp[i] + kRamp[j]);
}

TEST(Resample, LinearKnownValues3D) {
  const Tensor x = Tensor::from_vector({1, 1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  const auto y = upsample_forward(x, UpsampleMode::linear, {2, 2, 2}).to_vector();
  for (int d = 0; d < 4; ++d)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j)
        EXPECT_FLOAT_EQ(y[(d * 4 + i) * 4 + j], 4 * kRamp[d] + 2 * kRamp[i] + kRamp[j]);
}

void check_gradient(const Shape& shape, UpsampleMode mode, const Shape& scale) {
  Tensor x = random_tensor(shape, 1);
  const Tensor r = random_tensor(upsample_forward(x, mode, scale).shape(), 2);
  const Tensor dx = upsample_backward(r, x.layout(), mode, scale);
  expect_gradient_close("upsample dx", x, dx,
                        [&] { return dot(r, upsample_forward(x, mode, scale)); });
}

TEST(Resample, NearestGradient2D) {
  check_gradient({2, 3, 4, 5}, UpsampleMode::nearest, {2, 3});
}
TEST(Resample, LinearGradient2D) {
  check_gradient({2, 3, 4, 5}, UpsampleMode::linear, {2, 2});
}
TEST(Resample, NearestGradient3D) {
  check_gradient({2, 3, 4, 3, 4}, UpsampleMode::nearest, {2, 2, 1});
}
TEST(Resample, LinearGradient3D) {
  check_gradient({2, 3, 4, 3, 4}, UpsampleMode::linear, {2, 2, 2});
}

void check_blocked(const Shape& shape, const Shape& scale) {
  const Tensor x = random_tensor(shape, 3);
  const Tensor xb = blocked8(x);
  for (UpsampleMode mode : {UpsampleMode::nearest, UpsampleMode::linear}) {
    const Tensor y = upsample_forward(x, mode, scale), yb = upsample_forward(xb, mode, scale);
    EXPECT_FALSE(yb.is_plain()) << "output should keep the blocked layout";
    expect_close(yb, y);
    const Tensor dy = random_tensor(y.shape(), 4);
    const Tensor dx = upsample_backward(dy, x.layout(), mode, scale);
    const Tensor dxb = upsample_backward(blocked8(dy), xb.layout(), mode, scale);
    EXPECT_EQ(dxb.layout(), xb.layout());
    expect_close(dxb, dx);
    expect_close(upsample_backward(dy, xb.layout(), mode, scale), dx);  // plain dy
  }
}

TEST(Resample, BlockedInput2D) {
  check_blocked({2, 8, 3, 4}, {2, 2});
}
TEST(Resample, BlockedInput3D) {
  check_blocked({2, 8, 3, 2, 3}, {2, 2, 2});
}

TEST(Resample, RejectsBadArguments) {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  EXPECT_THROW(upsample_forward(x, UpsampleMode::nearest, {2, 2, 2}), std::invalid_argument);
  EXPECT_THROW(upsample_forward(x, UpsampleMode::linear, {0, 2}), std::invalid_argument);
  EXPECT_THROW(
      upsample_backward(Tensor::zeros({2, 3, 8, 7}), x.layout(), UpsampleMode::linear, {2, 2}),
      std::invalid_argument);
}

}  // namespace
}  // namespace tessera
