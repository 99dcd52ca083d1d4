#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/ops/elementwise.hpp"

namespace tessera {
namespace {

using testing::blocked8;
using testing::dot;
using testing::expect_close;
using testing::expect_gradient_close;
using testing::random_tensor;

TEST(Elementwise, KnownValues) {
  const Tensor a = Tensor::from_vector({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_vector({1, 1, 2, 2}, {0.5f, -1, 2, 0});
  EXPECT_EQ(add(a, b).to_vector(), (std::vector<float>{1.5f, 1, 5, 4}));
  EXPECT_EQ(multiply(a, b).to_vector(), (std::vector<float>{0.5f, -2, 6, 0}));
  EXPECT_EQ(scale(a, -2.f).to_vector(), (std::vector<float>{-2, -4, -6, -8}));
  Tensor acc = a.clone();
  add_inplace(acc, b);
  add_inplace(acc, b);
  EXPECT_EQ(acc.to_vector(), (std::vector<float>{2, 0, 7, 4}));
  EXPECT_EQ(a.to_vector(), (std::vector<float>{1, 2, 3, 4})) << "inputs are left alone";
}

TEST(Elementwise, ScaleByManyFactors) {
  // The factor is a runtime value: every call gives its own product.
  const Tensor a = random_tensor({2, 3, 4, 4}, 1);
  for (float s : {0.f, 0.5f, -3.f, 1e-3f}) {
    const auto y = scale(a, s).to_vector();
    for (int64_t i = 0; i < a.numel(); ++i) ASSERT_FLOAT_EQ(y[i], a.data()[i] * s);
  }
}

// Gradients of add, multiply and scale w.r.t. their first operand (and multiply's second),
// expressed with the ops themselves: d(a+b)/da = 1, d(a*b)/da = b, d(s*a)/da = s.
void check_gradients(const Shape& shape) {
  Tensor a = random_tensor(shape, 1), b = random_tensor(shape, 2);
  const Tensor r = random_tensor(shape, 3);
  expect_gradient_close("add da", a, r, [&] { return dot(r, add(a, b)); });
  expect_gradient_close("add db", b, r, [&] { return dot(r, add(a, b)); });
  expect_gradient_close("multiply da", a, multiply(r, b), [&] { return dot(r, multiply(a, b)); });
  expect_gradient_close("multiply db", b, multiply(r, a), [&] { return dot(r, multiply(a, b)); });
  expect_gradient_close("scale da", a, scale(r, 0.7f), [&] { return dot(r, scale(a, 0.7f)); });
  expect_gradient_close("add_inplace dt", b, r, [&] {
    Tensor acc = a.clone();
    add_inplace(acc, b);
    return dot(r, acc);
  });
}

TEST(Elementwise, Gradient2D) {
  check_gradients({2, 3, 4, 5});
}
TEST(Elementwise, Gradient3D) {
  check_gradients({2, 3, 4, 3, 5});
}

void check_blocked(const Shape& shape) {
  const Tensor a = random_tensor(shape, 4), b = random_tensor(shape, 5);
  const Tensor ab = blocked8(a), bb = blocked8(b);
  // Results take the first operand's layout, whatever the second's.
  for (const Tensor& second : {b, bb}) {
    const Tensor sum = add(ab, second), prod = multiply(ab, second);
    EXPECT_EQ(sum.layout(), ab.layout());
    EXPECT_EQ(prod.layout(), ab.layout());
    expect_close(sum, add(a, b));
    expect_close(prod, multiply(a, b));
  }
  EXPECT_TRUE(add(a, bb).is_plain());
  expect_close(add(a, bb), add(a, b));
  const Tensor sc = scale(ab, 1.5f);
  EXPECT_EQ(sc.layout(), ab.layout());
  expect_close(sc, scale(a, 1.5f));
  Tensor acc = ab.clone();
  add_inplace(acc, b);
  EXPECT_EQ(acc.layout(), ab.layout()) << "acc keeps its layout";
  expect_close(acc, add(a, b));
}

TEST(Elementwise, BlockedInput2D) {
  check_blocked({2, 8, 4, 5});
}
TEST(Elementwise, BlockedInput3D) {
  check_blocked({2, 16, 3, 4, 5});
}

TEST(Elementwise, RejectsMismatchedShapes) {
  const Tensor a = Tensor::zeros({2, 3, 4, 4}), b = Tensor::zeros({2, 3, 4, 5});
  EXPECT_THROW(add(a, b), std::invalid_argument);
  EXPECT_THROW(multiply(a, b), std::invalid_argument);
  Tensor acc = a, undefined;
  EXPECT_THROW(add_inplace(acc, b), std::invalid_argument);
  EXPECT_THROW(add_inplace(undefined, a), std::invalid_argument);
  EXPECT_THROW(scale(undefined, 2.f), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
