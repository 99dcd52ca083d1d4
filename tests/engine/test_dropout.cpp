#include <omp.h>

#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/ops/dropout.hpp"

namespace tessera {
namespace {

using testing::blocked8;
using testing::dot;
using testing::expect_gradient_close;
using testing::random_tensor;

TEST(Dropout, KeepsAboutOneMinusP) {
  const Tensor x = Tensor::full({4, 8, 64, 64}, 1.f);
  for (float p : {0.1f, 0.5f, 0.8f}) {
    const DropoutResult r = dropout_forward(x, p, 42);
    const auto m = r.mask.to_vector(), y = r.y.to_vector();
    int64_t kept = 0;
    for (size_t i = 0; i < m.size(); ++i) {
      ASSERT_TRUE(m[i] == 0.f || m[i] == 1.f / (1.f - p)) << "mask value " << m[i];
      ASSERT_EQ(y[i], m[i]);  // x is all ones
      kept += m[i] != 0.f;
    }
    // 131072 draws: the standard deviation of the kept fraction is below 0.0014.
    EXPECT_NEAR(double(kept) / double(m.size()), 1.0 - p, 0.01) << "p = " << p;
  }
}

TEST(Dropout, ZeroProbabilityKeepsEverything) {
  const Tensor x = random_tensor({2, 3, 4, 4}, 1);
  const DropoutResult r = dropout_forward(x, 0.f, 7);
  EXPECT_EQ(r.y.to_vector(), x.to_vector());
}

TEST(Dropout, SameSeedSameMask) {
  const Tensor x = random_tensor({2, 3, 8, 8}, 1);
  const auto a = dropout_forward(x, 0.5f, 1).mask.to_vector();
  EXPECT_EQ(dropout_forward(x, 0.5f, 1).mask.to_vector(), a);
  EXPECT_NE(dropout_forward(x, 0.5f, 2).mask.to_vector(), a);
}

TEST(Dropout, MaskIndependentOfThreadCount) {
  const Tensor x = random_tensor({2, 4, 16, 16}, 1);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = dropout_forward(x, 0.3f, 9).mask.to_vector();
  omp_set_num_threads(3);
  const auto three = dropout_forward(x, 0.3f, 9).mask.to_vector();
  omp_set_num_threads(saved);
  EXPECT_EQ(one, three);
}

void check_gradient(const Shape& shape) {
  Tensor x = random_tensor(shape, 2);
  const Tensor r = random_tensor(shape, 3);
  const DropoutResult fwd = dropout_forward(x, 0.4f, 5);
  expect_gradient_close("dropout dx", x, dropout_backward(r, fwd.mask),
                        [&] { return dot(r, dropout_forward(x, 0.4f, 5).y); });
}

TEST(Dropout, Gradient2D) {
  check_gradient({2, 3, 4, 5});
}
TEST(Dropout, Gradient3D) {
  check_gradient({2, 3, 4, 3, 5});
}

void check_blocked(const Shape& shape) {
  const Tensor x = random_tensor(shape, 4), dy = random_tensor(shape, 5);
  const Tensor xb = blocked8(x);
  const DropoutResult plain = dropout_forward(x, 0.5f, 3), blk = dropout_forward(xb, 0.5f, 3);
  EXPECT_EQ(blk.y.layout(), xb.layout()) << "output should keep the blocked layout";
  EXPECT_TRUE(blk.mask.is_plain());
  EXPECT_EQ(blk.y.to_vector(), plain.y.to_vector());
  EXPECT_EQ(blk.mask.to_vector(), plain.mask.to_vector());
  const Tensor dxb = dropout_backward(blocked8(dy), blk.mask);
  EXPECT_FALSE(dxb.is_plain());
  EXPECT_EQ(dxb.to_vector(), dropout_backward(dy, plain.mask).to_vector());
}

TEST(Dropout, BlockedInput2D) {
  check_blocked({2, 8, 4, 5});
}
TEST(Dropout, BlockedInput3D) {
  check_blocked({2, 8, 3, 4, 5});
}

TEST(Dropout, RejectsBadArguments) {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  EXPECT_THROW(dropout_forward(x, 1.f, 0), std::invalid_argument);
  EXPECT_THROW(dropout_forward(x, -0.1f, 0), std::invalid_argument);
  EXPECT_THROW(dropout_backward(x, Tensor::zeros({2, 3, 4, 5})), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
