#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/ops/pool.hpp"

namespace tessera {
namespace {

using testing::blocked8;
using testing::dot;
using testing::expect_close;
using testing::expect_gradient_close;
using testing::random_tensor;

// Distinct values spaced 0.05 apart (more than 2h of the finite differences), shuffled, so
// max pooling has no ties and a perturbation never changes which element wins.
Tensor distinct_tensor(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::empty(shape);
  std::iota(t.data(), t.data() + t.numel(), 0.f);
  std::shuffle(t.data(), t.data() + t.numel(), std::mt19937_64(seed));
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = 0.05f * t.data()[i] - 1.f;
  return t;
}

// Naive pooling on plain data with any number of spatial dims; avg excludes padding.
Tensor naive_pool(const Tensor& x, const PoolParams& p) {
  const int sd = x.spatial_dims();
  const Shape& xs = x.shape();
  Shape ys = xs;
  for (int d = 0; d < sd; ++d)
    ys[d + 2] = (xs[d + 2] + 2 * p.padding[d] - p.kernel[d]) / p.stride[d] + 1;
  Tensor y = Tensor::empty(ys);
  const int64_t planes = xs[0] * xs[1];
  const int64_t x_plane = x.numel() / planes, y_plane = y.numel() / planes;
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t o = 0; o < y_plane; ++o) {
      Shape oc(sd);
      for (int64_t d = sd - 1, r = o; d >= 0; --d) oc[d] = r % ys[d + 2], r /= ys[d + 2];
      float best = -std::numeric_limits<float>::infinity(), sum = 0;
      int count = 0;
      for (int64_t w = 0; w < product(p.kernel); ++w) {
        int64_t idx = 0, r = w;
        bool inside = true;
        for (int64_t d = sd - 1, stride = 1; d >= 0; --d) {
          const int64_t kc = r % p.kernel[d];
          r /= p.kernel[d];
          const int64_t ic = oc[d] * p.stride[d] - p.padding[d] + kc;
          inside = inside && ic >= 0 && ic < xs[d + 2];
          idx += ic * stride;
          stride *= xs[d + 2];
        }
        if (!inside) continue;
        const float v = x.data()[pl * x_plane + idx];
        best = std::max(best, v);
        sum += v;
        ++count;
      }
      y.data()[pl * y_plane + o] = p.kind == PoolKind::max ? best : sum / float(count);
    }
  return y;
}

PoolParams params(PoolKind kind, int sd, int64_t k, int64_t s, int64_t pad) {
  return {kind, Shape(sd, k), Shape(sd, s), Shape(sd, pad)};
}

void check_forward(const Shape& shape, const PoolParams& p) {
  Tensor x = distinct_tensor(shape, 7);
  expect_close(pool_forward(x, p, true).y, naive_pool(x, p), 1e-5f);
  expect_close(pool_forward(x, p, false).y, naive_pool(x, p), 1e-5f);
}

void check_gradient(const Shape& shape, const PoolParams& p) {
  Tensor x = p.kind == PoolKind::max ? distinct_tensor(shape, 3) : random_tensor(shape, 3);
  PoolResult fwd = pool_forward(x, p, true);
  const Tensor r = random_tensor(fwd.y.shape(), 11);
  const Tensor dx = pool_backward(r, fwd.workspace, x.layout(), p);
  expect_gradient_close("pool dx", x, dx, [&] { return dot(r, pool_forward(x, p, true).y); });
}

TEST(Pool, MaxForward2D) {
  check_forward({2, 3, 6, 6}, params(PoolKind::max, 2, 2, 2, 0));
  check_forward({2, 3, 7, 5}, params(PoolKind::max, 2, 3, 2, 1));
}

TEST(Pool, AvgForward2D) {
  check_forward({2, 3, 6, 6}, params(PoolKind::avg, 2, 2, 2, 0));
  check_forward({2, 3, 7, 5}, params(PoolKind::avg, 2, 3, 2, 1));
}

TEST(Pool, Forward3D) {
  check_forward({2, 3, 4, 5, 6}, params(PoolKind::max, 3, 2, 2, 0));
  check_forward({2, 3, 5, 4, 5}, params(PoolKind::avg, 3, 3, 2, 1));
}

TEST(Pool, KnownValues) {
  // [1,1,2,4] with a 2x2 window: max and mean of each 2x2 block.
  const Tensor x = Tensor::from_vector({1, 1, 2, 4}, {1, 2, 5, 0, 3, 4, -1, 2});
  // Empty stride and padding take their defaults: stride = kernel, padding 0.
  PoolParams p{.kind = PoolKind::max, .kernel = {2, 2}, .stride = {}, .padding = {}};
  EXPECT_EQ(pool_forward(x, p, false).y.to_vector(), (std::vector<float>{4, 5}));
  p.kind = PoolKind::avg;
  EXPECT_EQ(pool_forward(x, p, false).y.to_vector(), (std::vector<float>{2.5f, 1.5f}));
}

TEST(Pool, AvgExcludesPadding) {
  // A 3x3 window at the corner of a padded all-ones input still averages to exactly 1.
  const Tensor x = Tensor::full({1, 1, 4, 4}, 1.f);
  const Tensor y = pool_forward(x, params(PoolKind::avg, 2, 3, 1, 1), false).y;
  for (float v : y.to_vector()) EXPECT_FLOAT_EQ(v, 1.f);
}

TEST(Pool, MaxGradient2D) {
  check_gradient({2, 3, 6, 6}, params(PoolKind::max, 2, 2, 2, 0));
  check_gradient({2, 3, 7, 5}, params(PoolKind::max, 2, 3, 2, 1));  // overlapping windows
}

TEST(Pool, AvgGradient2D) {
  check_gradient({2, 3, 6, 6}, params(PoolKind::avg, 2, 2, 2, 0));
  check_gradient({2, 3, 7, 5}, params(PoolKind::avg, 2, 3, 2, 1));
}

TEST(Pool, MaxGradient3D) {
  check_gradient({2, 3, 4, 4, 4}, params(PoolKind::max, 3, 2, 2, 0));
  check_gradient({2, 3, 5, 4, 5}, params(PoolKind::max, 3, 3, 2, 1));
}

TEST(Pool, AvgGradient3D) {
  check_gradient({2, 3, 4, 4, 4}, params(PoolKind::avg, 3, 2, 2, 0));
  check_gradient({2, 3, 5, 4, 5}, params(PoolKind::avg, 3, 3, 2, 1));
}

// A blocked input (as a convolution hands over) gives the plain result, forward and backward.
void check_blocked(const Shape& shape, const PoolParams& p) {
  const Tensor x = distinct_tensor(shape, 5);
  const Tensor xb = blocked8(x);
  const PoolResult plain = pool_forward(x, p, true), blk = pool_forward(xb, p, true);
  EXPECT_EQ(blk.y.layout().dims, plain.y.layout().dims);
  EXPECT_FALSE(blk.y.is_plain()) << "output should keep the blocked layout";
  expect_close(blk.y, plain.y);
  const Tensor dy = random_tensor(plain.y.shape(), 9);
  expect_close(pool_backward(dy, blk.workspace, xb.layout(), p),
               pool_backward(dy, plain.workspace, x.layout(), p), 1e-5f);
  // dy in the blocked output layout is accepted as well.
  expect_close(pool_backward(blk.y.clone(), blk.workspace, xb.layout(), p),
               pool_backward(plain.y, plain.workspace, x.layout(), p), 1e-5f);
}

TEST(Pool, BlockedInput2D) {
  check_blocked({2, 8, 6, 6}, params(PoolKind::max, 2, 2, 2, 0));
  check_blocked({2, 8, 7, 5}, params(PoolKind::avg, 2, 3, 2, 1));
}

TEST(Pool, BlockedInput3D) {
  check_blocked({2, 8, 4, 4, 4}, params(PoolKind::max, 3, 2, 2, 0));
  check_blocked({2, 8, 5, 4, 5}, params(PoolKind::avg, 3, 3, 2, 1));
}

TEST(Pool, RejectsBadArguments) {
  const Tensor x = Tensor::zeros({2, 3, 4, 4, 4});
  EXPECT_THROW(pool_forward(x, params(PoolKind::max, 2, 2, 2, 0), true), std::invalid_argument);
  EXPECT_THROW(pool_forward(x, params(PoolKind::avg, 3, 2, 1, 2), true), std::invalid_argument);
  const Tensor x2 = Tensor::zeros({2, 3, 4, 4});
  const PoolParams p = params(PoolKind::max, 2, 2, 2, 0);
  EXPECT_THROW(pool_backward(Tensor::zeros({2, 3, 2, 2}), Tensor(), x2.layout(), p),
               std::invalid_argument);  // max pooling without its workspace
  EXPECT_THROW(pool_backward(Tensor::zeros({2, 3, 3, 3}), pool_forward(x2, p, true).workspace,
                             x2.layout(), p),
               std::invalid_argument);  // dy of the wrong shape
}

}  // namespace
}  // namespace tessera
