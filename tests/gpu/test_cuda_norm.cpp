// Batch norm (train, fused ReLU, replay, inference, backward) and group norm on the GPU against
// the CPU (labelled gpu), at odd channel counts, on [N,C], 2D and 3D inputs.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "tessera/ops/norm.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;

namespace {

constexpr float kEps = 1e-5f;

// A mean well away from zero, so a one-pass variance would show.
Tensor input(const Shape& shape, uint64_t seed) {
  return random_tensor(shape, seed, -1.f, 3.f);
}

struct Affine {
  Tensor gamma, beta;
};

Affine affine(int64_t channels) {
  return {random_tensor({channels}, 11, 0.5f, 1.5f), random_tensor({channels}, 12)};
}

const std::vector<Shape> kBatchShapes = {{5, 3},           {2, 1, 5, 6},    {3, 3, 4, 5},
                                         {2, 8, 6, 7},     {2, 12, 5, 3},   {2, 3, 3, 4, 5},
                                         {2, 12, 3, 2, 4}, {1, 16, 2, 3, 4}};

void check_batch_norm(const Shape& shape, bool relu) {
  SCOPED_TRACE(to_string(shape) + (relu ? " with ReLU" : ""));
  const Tensor x = input(shape, 1), dy = random_tensor(shape, 2);
  const Affine a = affine(shape[1]);
  const Tensor gx = x.to(kGpu), gdy = dy.to(kGpu), gg = a.gamma.to(kGpu), gb = a.beta.to(kGpu);

  const NormStats cpu = batch_norm_forward_train(x, a.gamma, a.beta, kEps, relu);
  const NormStats gpu = batch_norm_forward_train(gx, gg, gb, kEps, relu);
  EXPECT_GPU_NEAR(gpu.y, cpu.y, 1e-4);
  EXPECT_GPU_NEAR(gpu.mean, cpu.mean, 1e-4);
  EXPECT_GPU_NEAR(gpu.variance, cpu.variance, 1e-4);
  EXPECT_EQ(gpu.relu_mask.defined(), relu);

  // Replay and inference with the CPU's statistics on both devices.
  const Tensor gmean = cpu.mean.to(kGpu), gvar = cpu.variance.to(kGpu);
  const NormStats cpu_replay =
      batch_norm_forward_replay(x, a.gamma, a.beta, cpu.mean, cpu.variance, kEps, relu);
  const NormStats gpu_replay = batch_norm_forward_replay(gx, gg, gb, gmean, gvar, kEps, relu);
  EXPECT_GPU_NEAR(gpu_replay.y, cpu_replay.y, 1e-4);
  EXPECT_GPU_NEAR(gpu_replay.mean, cpu.mean, 0);
  EXPECT_GPU_NEAR(gpu_replay.variance, cpu.variance, 0);
  EXPECT_EQ(gpu_replay.relu_mask.defined(), relu);
  EXPECT_GPU_NEAR(batch_norm_forward_infer(gx, gg, gb, gmean, gvar, kEps, relu),
                  batch_norm_forward_infer(x, a.gamma, a.beta, cpu.mean, cpu.variance, kEps, relu),
                  1e-4);

  const NormGrads cpu_grads =
      batch_norm_backward(x, dy, a.gamma, a.beta, cpu.mean, cpu.variance, kEps, cpu.relu_mask);
  for (const Tensor& mask : {gpu.relu_mask, gpu_replay.relu_mask}) {
    const NormGrads g = batch_norm_backward(gx, gdy, gg, gb, gpu.mean, gpu.variance, kEps, mask);
    EXPECT_GPU_NEAR(g.dx, cpu_grads.dx, 1e-4);
    EXPECT_GPU_NEAR(g.dgamma, cpu_grads.dgamma, 1e-4);
    EXPECT_GPU_NEAR(g.dbeta, cpu_grads.dbeta, 1e-4);
  }
}

void check_group_norm(const Shape& shape, int64_t groups) {
  SCOPED_TRACE(to_string(shape) + " in " + std::to_string(groups) + " groups");
  const Tensor x = input(shape, 3), dy = random_tensor(shape, 4);
  const Affine a = affine(shape[1]);
  const Tensor gx = x.to(kGpu), gg = a.gamma.to(kGpu), gb = a.beta.to(kGpu);

  const NormStats cpu = group_norm_forward(x, a.gamma, a.beta, groups, kEps);
  const NormStats gpu = group_norm_forward(gx, gg, gb, groups, kEps);
  EXPECT_GPU_NEAR(gpu.y, cpu.y, 1e-4);
  EXPECT_GPU_NEAR(gpu.mean, cpu.mean, 1e-4);
  EXPECT_GPU_NEAR(gpu.variance, cpu.variance, 1e-4);

  const NormGrads c = group_norm_backward(x, dy, a.gamma, cpu.mean, cpu.variance, groups, kEps);
  const NormGrads g =
      group_norm_backward(gx, dy.to(kGpu), gg, gpu.mean, gpu.variance, groups, kEps);
  EXPECT_GPU_NEAR(g.dx, c.dx, 1e-4);
  EXPECT_GPU_NEAR(g.dgamma, c.dgamma, 1e-4);
  EXPECT_GPU_NEAR(g.dbeta, c.dbeta, 1e-4);
}

}  // namespace

TEST(CudaBatchNorm, MatchesTheCpu) {
  REQUIRE_GPU();
  for (const Shape& shape : kBatchShapes) check_batch_norm(shape, false);
}

TEST(CudaBatchNorm, FusedReluMatchesTheCpu) {
  REQUIRE_GPU();
  for (const Shape& shape : kBatchShapes) check_batch_norm(shape, true);
}

// Whole planes of a large batch: the reductions span many threads and several grid strides.
TEST(CudaBatchNorm, MatchesTheCpuOnALargeInput) {
  REQUIRE_GPU();
  check_batch_norm({8, 3, 64, 80}, true);
}

TEST(CudaBatchNorm, RefusesAMaskOfAnotherShape) {
  REQUIRE_GPU();
  const Affine a = affine(3);
  const Tensor gg = a.gamma.to(kGpu), gb = a.beta.to(kGpu);
  const Tensor x = input({2, 3, 4, 4}, 5).to(kGpu), other = input({2, 3, 4, 5}, 6).to(kGpu);
  const NormStats s = batch_norm_forward_train(x, gg, gb, kEps, true);
  const NormStats o = batch_norm_forward_train(other, gg, gb, kEps, true);
  EXPECT_THROW(batch_norm_backward(x, x, gg, gb, s.mean, s.variance, kEps, o.relu_mask),
               std::invalid_argument);
}

TEST(CudaGroupNorm, MatchesTheCpu2D) {
  REQUIRE_GPU();
  for (const int64_t channels : {1, 3, 8, 12, 16})
    for (const int64_t groups : {int64_t(1), int64_t(2), channels})
      if (channels % groups == 0) check_group_norm({2, channels, 5, 6}, groups);
}

TEST(CudaGroupNorm, MatchesTheCpu3D) {
  REQUIRE_GPU();
  for (const int64_t channels : {1, 3, 8, 12, 16})
    for (const int64_t groups : {int64_t(1), int64_t(2), channels})
      if (channels % groups == 0) check_group_norm({2, channels, 3, 4, 5}, groups);
}

TEST(CudaGroupNorm, MatchesTheCpuOnALargeInput) {
  REQUIRE_GPU();
  check_group_norm({4, 8, 48, 64}, 2);
  check_group_norm({3, 6}, 3);
}
