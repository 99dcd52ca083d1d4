#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/ops/norm.hpp"

namespace tessera {
namespace {

using testing::blocked8;
using testing::dot;
using testing::expect_gradient_close;
using testing::random_tensor;

constexpr float kEps = 1e-5f;

// These ops accumulate over whole planes: a looser default than the shared 1e-6.
void expect_close(const Tensor& a, const Tensor& b, float tol = 1e-5f) {
  testing::expect_close(a, b, tol);
}

// Naive normalisation of plain x [N,C,*S] with statistics over (sample, group) blocks, or over
// whole channels when `per_channel`; returns y and fills mean/var (biased).
Tensor naive_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, int64_t groups,
                  bool per_channel, std::vector<double>* mean_out = nullptr,
                  std::vector<double>* var_out = nullptr) {
  const int64_t N = x.dim(0), C = x.dim(1), S = x.numel() / (N * C), cg = C / groups;
  // Statistic index of element (n, c): channel c for batch norm, n*G + c/cg for group norm.
  auto stat = [&](int64_t n, int64_t c) { return per_channel ? c : n * groups + c / cg; };
  const size_t nstat = per_channel ? C : N * groups;
  std::vector<double> sum(nstat), sq(nstat), cnt(nstat);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s = 0; s < S; ++s) {
        const double v = x.data()[(n * C + c) * S + s];
        sum[stat(n, c)] += v, sq[stat(n, c)] += v * v, cnt[stat(n, c)] += 1;
      }
  std::vector<double> mean(nstat), var(nstat);
  for (size_t i = 0; i < nstat; ++i) {
    mean[i] = sum[i] / cnt[i];
    var[i] = sq[i] / cnt[i] - mean[i] * mean[i];
  }
  Tensor y = Tensor::empty(x.shape());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s = 0; s < S; ++s) {
        const int64_t i = (n * C + c) * S + s;
        const double xhat = (x.data()[i] - mean[stat(n, c)]) / std::sqrt(var[stat(n, c)] + kEps);
        y.data()[i] = float(xhat * gamma.data()[c] + beta.data()[c]);
      }
  if (mean_out) *mean_out = mean;
  if (var_out) *var_out = var;
  return y;
}

void expect_stats(const Tensor& t, const std::vector<double>& ref) {
  const auto v = t.to_vector();
  ASSERT_EQ(v.size(), ref.size());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], ref[i], 1e-5) << "statistic " << i;
}

struct Params {
  Tensor x, gamma, beta;
};

Params make_params(const Shape& shape) {
  const int64_t C = shape[1];
  return {random_tensor(shape, 1, -1.f, 2.f), random_tensor({C}, 2, 0.5f, 1.5f),
          random_tensor({C}, 3)};
}

// ---------------------------------------------------------------------------------------------
// Batch norm

TEST(BatchNorm, ForwardNormalises) {
  Params p = make_params({2, 3, 5, 4});
  p.gamma.fill(1.f);
  p.beta.fill(0.f);
  const Tensor y = batch_norm_forward_train(p.x, p.gamma, p.beta, kEps).y;
  const Tensor ones = Tensor::full({3}, 1.f), zeros = Tensor::zeros({3});
  std::vector<double> mean, var;
  naive_norm(y, ones, zeros, 1, /*per_channel=*/true, &mean, &var);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(mean[c], 0.0, 1e-5);
    EXPECT_NEAR(var[c], 1.0, 1e-3);
  }
}

void check_bn_forward(const Shape& shape) {
  const Params p = make_params(shape);
  std::vector<double> mean, var;
  const Tensor ref = naive_norm(p.x, p.gamma, p.beta, 1, true, &mean, &var);
  const NormStats s = batch_norm_forward_train(p.x, p.gamma, p.beta, kEps);
  expect_close(s.y, ref);
  expect_stats(s.mean, mean);
  expect_stats(s.variance, var);
}

TEST(BatchNorm, ForwardMatchesNaive2D) {
  check_bn_forward({2, 3, 5, 4});
}
TEST(BatchNorm, ForwardMatchesNaive3D) {
  check_bn_forward({2, 3, 4, 5, 4});
}

TEST(BatchNorm, InferenceUsesGivenStatistics) {
  const Params p = make_params({2, 3, 4, 4});
  const Tensor mean = Tensor::from_vector({3}, {0.5f, -0.25f, 1.f});
  const Tensor var = Tensor::from_vector({3}, {2.f, 0.5f, 1.f});
  const Tensor y = batch_norm_forward_infer(p.x, p.gamma, p.beta, mean, var, kEps);
  const auto yv = y.to_vector();
  for (int64_t i = 0; i < p.x.numel(); ++i) {
    const int64_t c = (i / 16) % 3;
    const float ref =
        (p.x.data()[i] - mean.data()[c]) / std::sqrt(var.data()[c] + kEps) * p.gamma.data()[c] +
        p.beta.data()[c];
    ASSERT_NEAR(yv[i], ref, 1e-5f) << "element " << i;
  }
}

void check_bn_gradients(const Shape& shape) {
  Params p = make_params(shape);
  const NormStats s = batch_norm_forward_train(p.x, p.gamma, p.beta, kEps);
  const Tensor r = random_tensor(shape, 4);
  const NormGrads g = batch_norm_backward(p.x, r, p.gamma, p.beta, s.mean, s.variance, kEps);
  auto f = [&] { return dot(r, batch_norm_forward_train(p.x, p.gamma, p.beta, kEps).y); };
  expect_gradient_close("batch norm dx", p.x, g.dx, f);
  expect_gradient_close("batch norm dgamma", p.gamma, g.dgamma, f);
  expect_gradient_close("batch norm dbeta", p.beta, g.dbeta, f);
}

TEST(BatchNorm, Gradient2D) {
  check_bn_gradients({2, 3, 4, 5});
}
TEST(BatchNorm, Gradient3D) {
  check_bn_gradients({2, 3, 4, 4, 5});
}

void check_bn_blocked(const Shape& shape) {
  const Params p = make_params(shape);
  const Tensor xb = blocked8(p.x);
  const NormStats plain = batch_norm_forward_train(p.x, p.gamma, p.beta, kEps);
  const NormStats blk = batch_norm_forward_train(xb, p.gamma, p.beta, kEps);
  EXPECT_EQ(blk.y.layout(), xb.layout()) << "output should keep the input's blocked layout";
  expect_close(blk.y, plain.y);
  expect_close(blk.mean, plain.mean);
  expect_close(blk.variance, plain.variance);
  expect_close(batch_norm_forward_infer(xb, p.gamma, p.beta, plain.mean, plain.variance, kEps),
               plain.y);
  const Tensor dy = random_tensor(shape, 6);
  const NormGrads gp =
      batch_norm_backward(p.x, dy, p.gamma, p.beta, plain.mean, plain.variance, kEps);
  for (const Tensor& dyb : {dy, blocked8(dy)}) {
    const NormGrads gb =
        batch_norm_backward(xb, dyb, p.gamma, p.beta, blk.mean, blk.variance, kEps);
    EXPECT_EQ(gb.dx.layout(), xb.layout());
    expect_close(gb.dx, gp.dx);
    expect_close(gb.dgamma, gp.dgamma, 1e-4f);
    expect_close(gb.dbeta, gp.dbeta, 1e-4f);
  }
}

TEST(BatchNorm, BlockedInput2D) {
  check_bn_blocked({2, 8, 4, 5});
}
TEST(BatchNorm, BlockedInput3D) {
  check_bn_blocked({2, 8, 3, 4, 5});
}

TEST(BatchNorm, RejectsBadArguments) {
  const Params p = make_params({2, 3, 4, 4});
  EXPECT_THROW(batch_norm_forward_train(p.x, Tensor::zeros({4}), p.beta, kEps),
               std::invalid_argument);
  EXPECT_THROW(batch_norm_forward_train(Tensor::zeros({6}), p.gamma, p.beta, kEps),
               std::invalid_argument);
  const NormStats s = batch_norm_forward_train(p.x, p.gamma, p.beta, kEps);
  EXPECT_THROW(batch_norm_backward(p.x, Tensor::zeros({2, 3, 4, 5}), p.gamma, p.beta, s.mean,
                                   s.variance, kEps),
               std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Batch norm with a fused ReLU: the same as batch norm then max(0, .), forward (train, replay,
// inference) and backward, in plain and blocked layouts and at odd channel counts.

Tensor relu_of(const Tensor& t) {
  Tensor out = t.to_plain().clone();
  for (int64_t i = 0; i < out.numel(); ++i) out.data()[i] = std::max(0.f, out.data()[i]);
  return out;
}

// dy where the fused output passed the ReLU (y > 0), else 0.
Tensor masked_by(const Tensor& dy, const Tensor& y) {
  Tensor out = dy.to_plain().clone();
  const Tensor yp = y.to_plain();
  for (int64_t i = 0; i < out.numel(); ++i)
    if (yp.data()[i] <= 0) out.data()[i] = 0;
  return out;
}

void check_fused_relu(const Shape& shape, bool blocked) {
  const Params p = make_params(shape);
  const Tensor x = blocked ? blocked8(p.x) : p.x;
  const NormStats plain = batch_norm_forward_train(p.x, p.gamma, p.beta, kEps);
  const NormStats fused = batch_norm_forward_train(x, p.gamma, p.beta, kEps, true);
  ASSERT_TRUE(fused.relu_mask.defined());
  expect_close(fused.y.to_plain(), relu_of(plain.y));
  expect_close(fused.mean, plain.mean);
  expect_close(fused.variance, plain.variance);
  // Some outputs pass and some do not, or the test would not test the mask.
  const auto v = fused.y.to_plain().to_vector();
  const auto zeros = std::count(v.begin(), v.end(), 0.f);
  EXPECT_GT(zeros, 0);
  EXPECT_LT(zeros, int64_t(v.size()));

  const NormStats replay =
      batch_norm_forward_replay(x, p.gamma, p.beta, fused.mean, fused.variance, kEps, true);
  expect_close(replay.y.to_plain(), fused.y.to_plain());
  expect_close(batch_norm_forward_infer(x, p.gamma, p.beta, plain.mean, plain.variance, kEps, true)
                   .to_plain(),
               fused.y.to_plain());

  const Tensor dy = random_tensor(shape, 7);
  const NormGrads ref = batch_norm_backward(p.x, masked_by(dy, fused.y), p.gamma, p.beta,
                                            plain.mean, plain.variance, kEps);
  for (const Tensor& mask : {fused.relu_mask, replay.relu_mask}) {
    const NormGrads g = batch_norm_backward(x, blocked ? blocked8(dy) : dy, p.gamma, p.beta,
                                            fused.mean, fused.variance, kEps, mask);
    expect_close(g.dx.to_plain(), ref.dx);
    expect_close(g.dgamma, ref.dgamma, 1e-4f);
    expect_close(g.dbeta, ref.dbeta, 1e-4f);
  }
}

TEST(BatchNormRelu, MatchesBatchNormThenRelu2D) {
  check_fused_relu({2, 3, 6, 5}, false);
  check_fused_relu({2, 12, 5, 6}, false);
}
TEST(BatchNormRelu, MatchesBatchNormThenRelu3D) {
  check_fused_relu({2, 8, 3, 4, 5}, false);
}
TEST(BatchNormRelu, MatchesBatchNormThenReluBlocked) {
  check_fused_relu({2, 8, 4, 5}, true);
  check_fused_relu({1, 8, 3, 4, 5}, true);
}

TEST(BatchNormRelu, RefusesAMaskOfAnotherShape) {
  const Params p = make_params({2, 3, 4, 4});
  const NormStats s = batch_norm_forward_train(p.x, p.gamma, p.beta, kEps, true);
  const Params other = make_params({2, 3, 4, 5});
  const NormStats o = batch_norm_forward_train(other.x, other.gamma, other.beta, kEps, true);
  EXPECT_THROW(
      batch_norm_backward(p.x, p.x, p.gamma, p.beta, s.mean, s.variance, kEps, o.relu_mask),
      std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Group norm

void check_gn_forward(const Shape& shape, int64_t groups) {
  const Params p = make_params(shape);
  std::vector<double> mean, var;
  const Tensor ref = naive_norm(p.x, p.gamma, p.beta, groups, false, &mean, &var);
  const NormStats s = group_norm_forward(p.x, p.gamma, p.beta, groups, kEps);
  EXPECT_EQ(s.mean.shape(), Shape{shape[0] * groups});
  expect_close(s.y, ref);
  expect_stats(s.mean, mean);
  expect_stats(s.variance, var);
}

TEST(GroupNorm, ForwardMatchesNaive2D) {
  check_gn_forward({2, 4, 5, 4}, 2);
  check_gn_forward({2, 3, 4, 4}, 1);  // one group: layer norm over (C, H, W)
  check_gn_forward({2, 3, 4, 4}, 3);  // one channel per group: instance norm
}

TEST(GroupNorm, ForwardMatchesNaive3D) {
  check_gn_forward({2, 6, 4, 3, 5}, 3);
}

void check_gn_gradients(const Shape& shape, int64_t groups) {
  Params p = make_params(shape);
  const NormStats s = group_norm_forward(p.x, p.gamma, p.beta, groups, kEps);
  const Tensor r = random_tensor(shape, 4);
  const NormGrads g = group_norm_backward(p.x, r, p.gamma, s.mean, s.variance, groups, kEps);
  auto f = [&] { return dot(r, group_norm_forward(p.x, p.gamma, p.beta, groups, kEps).y); };
  expect_gradient_close("group norm dx", p.x, g.dx, f);
  expect_gradient_close("group norm dgamma", p.gamma, g.dgamma, f);
  expect_gradient_close("group norm dbeta", p.beta, g.dbeta, f);
}

TEST(GroupNorm, Gradient2D) {
  check_gn_gradients({2, 4, 4, 5}, 2);
}
TEST(GroupNorm, Gradient3D) {
  check_gn_gradients({2, 6, 4, 3, 4}, 3);
}

void check_gn_blocked(const Shape& shape, int64_t groups) {
  const Params p = make_params(shape);
  const Tensor xb = blocked8(p.x);
  const NormStats plain = group_norm_forward(p.x, p.gamma, p.beta, groups, kEps);
  const NormStats blk = group_norm_forward(xb, p.gamma, p.beta, groups, kEps);
  EXPECT_EQ(blk.y.layout(), xb.layout()) << "output should keep the input's blocked layout";
  expect_close(blk.y, plain.y);
  expect_close(blk.mean, plain.mean);
  const Tensor dy = random_tensor(shape, 6);
  const NormGrads gp =
      group_norm_backward(p.x, dy, p.gamma, plain.mean, plain.variance, groups, kEps);
  const NormGrads gb =
      group_norm_backward(xb, blocked8(dy), p.gamma, blk.mean, blk.variance, groups, kEps);
  EXPECT_EQ(gb.dx.layout(), xb.layout());
  expect_close(gb.dx, gp.dx);
  expect_close(gb.dgamma, gp.dgamma, 1e-4f);
  expect_close(gb.dbeta, gp.dbeta, 1e-4f);
}

TEST(GroupNorm, BlockedInput2D) {
  check_gn_blocked({2, 8, 4, 5}, 4);
}
TEST(GroupNorm, BlockedInput3D) {
  check_gn_blocked({2, 8, 3, 4, 5}, 2);
}

TEST(GroupNorm, RejectsBadArguments) {
  const Params p = make_params({2, 6, 4, 4});
  EXPECT_THROW(group_norm_forward(p.x, p.gamma, p.beta, 4, kEps), std::invalid_argument);
  EXPECT_THROW(group_norm_forward(p.x, p.gamma, p.beta, 0, kEps), std::invalid_argument);
  const NormStats s = group_norm_forward(p.x, p.gamma, p.beta, 3, kEps);
  EXPECT_THROW(group_norm_backward(p.x, p.x, p.gamma, s.mean, s.variance, 2, kEps),
               std::invalid_argument);  // statistics of 3 groups, backward told 2
}

}  // namespace
}  // namespace tessera
