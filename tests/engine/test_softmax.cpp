#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/ops/softmax.hpp"

namespace tessera {
namespace {

using testing::blocked8;
using testing::dot;
using testing::expect_close;
using testing::expect_gradient_close;
using testing::random_tensor;

// Naive softmax of plain x along `axis`: x viewed as [outer, axis, inner].
Tensor naive_softmax(const Tensor& x, int axis) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int d = axis + 1; d < x.ndim(); ++d) inner *= x.dim(d);
  const int64_t n = x.dim(axis);
  Tensor y = Tensor::empty(x.shape());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t k) { return (o * n + k) * inner + i; };
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) sum += std::exp(double(x.data()[at(k)]));
      for (int64_t k = 0; k < n; ++k)
        y.data()[at(k)] = float(std::exp(double(x.data()[at(k)])) / sum);
    }
  return y;
}

TEST(Softmax, ForwardMatchesNaiveAndSumsToOne) {
  const Tensor x = random_tensor({2, 5, 3, 4}, 1, -4.f, 4.f);
  for (int axis : {1, 3}) expect_close(softmax_forward(x, axis), naive_softmax(x, axis));
  expect_close(softmax_forward(x, -1), softmax_forward(x, 3));
  // Along channels: every (n, h, w) column sums to 1.
  const auto y = softmax_forward(x).to_vector();
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t s = 0; s < 12; ++s) {
      double sum = 0;
      for (int64_t c = 0; c < 5; ++c) sum += y[(n * 5 + c) * 12 + s];
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST(Softmax, LargeInputsDoNotOverflow) {
  const Tensor x = Tensor::from_vector({1, 2, 1, 1}, {1000.f, 999.f});
  const auto y = softmax_forward(x).to_vector();
  EXPECT_NEAR(y[0], 1.f / (1.f + std::exp(-1.f)), 1e-6f);
  EXPECT_NEAR(y[0] + y[1], 1.f, 1e-6f);
}

void check_gradient(const Shape& shape, int axis) {
  Tensor x = random_tensor(shape, 2, -2.f, 2.f);
  const Tensor r = random_tensor(shape, 3);
  const Tensor dx = softmax_backward(softmax_forward(x, axis), r, axis);
  expect_gradient_close("softmax dx", x, dx, [&] { return dot(r, softmax_forward(x, axis)); });
}

TEST(Softmax, Gradient2D) {
  check_gradient({2, 4, 3, 5}, 1);
  check_gradient({2, 4, 3, 5}, 3);
}

TEST(Softmax, Gradient3D) {
  check_gradient({2, 4, 3, 4, 3}, 1);
  check_gradient({2, 4, 3, 4, 3}, 2);
}

void check_blocked(const Shape& shape) {
  const Tensor x = random_tensor(shape, 4, -3.f, 3.f), dy = random_tensor(shape, 5);
  const Tensor xb = blocked8(x);
  const Tensor y = softmax_forward(x), yb = softmax_forward(xb);
  EXPECT_EQ(yb.layout(), xb.layout()) << "output should keep the blocked layout";
  expect_close(yb, y);
  const Tensor dx = softmax_backward(y, dy);
  expect_close(softmax_backward(yb, blocked8(dy)), dx);
  expect_close(softmax_backward(yb, dy), dx);  // plain dy
}

TEST(Softmax, BlockedInput2D) {
  check_blocked({2, 8, 3, 4});
}
TEST(Softmax, BlockedInput3D) {
  check_blocked({2, 16, 3, 2, 3});
}

TEST(Softmax, RejectsBadArguments) {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  EXPECT_THROW(softmax_forward(x, 4), std::invalid_argument);
  EXPECT_THROW(softmax_forward(x, -5), std::invalid_argument);
  EXPECT_THROW(softmax_backward(x, Tensor::zeros({2, 3, 4, 5})), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
