// Activations, pooling, upsampling and softmax on the GPU against the CPU (labelled gpu):
// forward and backward, 1D to 3D, odd sizes and channel counts that no vector width divides.
#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>
#include <vector>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "tessera/ops/activation.hpp"
#include "tessera/ops/pool.hpp"
#include "tessera/ops/resample.hpp"
#include "tessera/ops/softmax.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;

namespace {

const std::vector<Shape> kShapes = {
    {2, 1, 7, 9}, {2, 3, 7, 9}, {1, 8, 5, 6, 7}, {2, 12, 5, 6, 7}, {3, 3, 11}};

// Each activation with the alphas that take both of activation_backward's paths: a negative
// slope makes leaky ReLU and ELU differentiate from the input instead of the output.
const std::vector<std::pair<Activation, float>> kActivations = {
    {Activation::identity, 0.f},     {Activation::relu, 0.f}, {Activation::leaky_relu, 0.3f},
    {Activation::leaky_relu, -0.2f}, {Activation::elu, 0.7f}, {Activation::elu, -0.4f},
    {Activation::sigmoid, 0.f},      {Activation::tanh, 0.f}};

TEST(CudaActivation, ForwardAndBackwardMatchTheCpu) {
  REQUIRE_GPU();
  uint64_t seed = 1;
  for (const Shape& shape : kShapes) {
    for (const auto& [a, alpha] : kActivations) {
      SCOPED_TRACE(to_string(a) + " alpha " + std::to_string(alpha) + " " + to_string(shape));
      const Tensor x = random_tensor(shape, seed++, -3.f, 3.f), dy = random_tensor(shape, seed++);
      const Tensor y = activation_forward(x, a, alpha);
      const Tensor gx = x.to(kGpu), gy = activation_forward(gx, a, alpha);
      EXPECT_GPU_NEAR(gy, y, 1e-4);
      EXPECT_GPU_NEAR(activation_backward(gx, gy, dy.to(kGpu), a, alpha),
                      activation_backward(x, y, dy, a, alpha), 1e-4);
    }
  }
}

PoolParams window(PoolKind kind, size_t spatial, int64_t k, int64_t s, int64_t pad) {
  return {kind, Shape(spatial, k), Shape(spatial, s), Shape(spatial, pad)};
}

void check_pool(const Shape& shape, const PoolParams& p, uint64_t seed) {
  SCOPED_TRACE(std::string(p.kind == PoolKind::max ? "max " : "avg ") + to_string(shape) +
               " kernel " + to_string(p.kernel) + " stride " + to_string(p.stride) + " padding " +
               to_string(p.padding));
  const Tensor x = random_tensor(shape, seed);
  const PoolResult cpu = pool_forward(x, p, true);
  const PoolResult gpu = pool_forward(x.to(kGpu), p, true);
  EXPECT_GPU_NEAR(gpu.y, cpu.y, 1e-4);
  EXPECT_GPU_NEAR(pool_forward(x.to(kGpu), p, false).y, cpu.y, 1e-4);
  const Tensor dy = random_tensor(cpu.y.shape(), seed + 1);
  EXPECT_GPU_NEAR(pool_backward(dy.to(kGpu), gpu.workspace, x.layout(), p),
                  pool_backward(dy, cpu.workspace, x.layout(), p), 1e-4);
}

TEST(CudaPool, MaxAndAverageMatchTheCpu) {
  REQUIRE_GPU();
  uint64_t seed = 100;
  for (const PoolKind kind : {PoolKind::max, PoolKind::avg})
    for (const Shape& shape : kShapes) {
      const size_t spatial = shape.size() - 2;
      check_pool(shape, window(kind, spatial, 2, 2, 0), seed += 2);
      check_pool(shape, window(kind, spatial, 3, 2, 1), seed += 2);  // padded, overlapping
      check_pool(shape, window(kind, spatial, 3, 1, 2), seed += 2);  // windows mostly padding
      check_pool(shape, window(kind, spatial, 2, 3, 1), seed += 2);  // gaps between windows
    }
  // Differing settings per axis.
  check_pool({2, 3, 7, 9}, {PoolKind::max, {3, 2}, {1, 2}, {1, 0}}, 200);
  check_pool({2, 3, 5, 6, 7}, {PoolKind::avg, {1, 3, 2}, {1, 2, 2}, {0, 1, 1}}, 202);
}

TEST(CudaPool, MaxBackwardNeedsTheTrainingWorkspace) {
  REQUIRE_GPU();
  const Tensor x = random_tensor({2, 3, 6, 6}, 1).to(kGpu);
  const PoolParams p = window(PoolKind::max, 2, 2, 2, 0);
  const Tensor dy = Tensor::zeros({2, 3, 3, 3}).to(kGpu);
  EXPECT_THROW(pool_backward(dy, Tensor(), x.layout(), p), std::invalid_argument);
  EXPECT_THROW(pool_backward(dy, pool_forward(x, p, false).workspace, x.layout(), p),
               std::invalid_argument);
}

TEST(CudaUpsample, NearestAndLinearMatchTheCpu) {
  REQUIRE_GPU();
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 1, 7, 9}, {2, 2}},        {{2, 3, 7, 9}, {3, 2}}, {{1, 8, 5, 6, 7}, {2, 2, 2}},
      {{2, 12, 5, 6, 7}, {1, 3, 2}}, {{3, 3, 11}, {4}},      {{1, 3, 1, 5}, {3, 1}}};
  uint64_t seed = 300;
  for (const UpsampleMode mode : {UpsampleMode::nearest, UpsampleMode::linear})
    for (const auto& [shape, scale] : cases) {
      SCOPED_TRACE(std::string(mode == UpsampleMode::nearest ? "nearest " : "linear ") +
                   to_string(shape) + " scale " + to_string(scale));
      const Tensor x = random_tensor(shape, seed++);
      const Tensor y = upsample_forward(x, mode, scale);
      EXPECT_GPU_NEAR(upsample_forward(x.to(kGpu), mode, scale), y, 1e-4);
      const Tensor dy = random_tensor(y.shape(), seed++);
      EXPECT_GPU_NEAR(upsample_backward(dy.to(kGpu), x.layout(), mode, scale),
                      upsample_backward(dy, x.layout(), mode, scale), 1e-4);
    }
}

TEST(CudaSoftmax, EveryAxisMatchesTheCpu) {
  REQUIRE_GPU();
  uint64_t seed = 400;
  for (const Shape& shape : kShapes)
    for (int axis = -1; axis < int(shape.size()); ++axis) {
      SCOPED_TRACE(to_string(shape) + " axis " + std::to_string(axis));
      const Tensor x = random_tensor(shape, seed++, -4.f, 4.f), dy = random_tensor(shape, seed++);
      const Tensor y = softmax_forward(x, axis);
      const Tensor gy = softmax_forward(x.to(kGpu), axis);
      EXPECT_GPU_NEAR(gy, y, 1e-4);
      EXPECT_GPU_NEAR(softmax_backward(gy, dy.to(kGpu), axis), softmax_backward(y, dy, axis), 1e-4);
    }
}

}  // namespace
