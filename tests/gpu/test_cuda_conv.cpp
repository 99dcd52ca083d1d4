// Convolutions and transposed convolutions on the GPU against the CPU (labelled gpu): the
// output and all three gradients, 1D to 3D, with strides, padding, dilation, groups and
// output_padding, and channel counts off the vector width (1, 3, 8, 12).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "tessera/ops/conv.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;

namespace {

struct Case {
  Shape x, w;
  ConvParams p;
  bool transposed = false;
};

std::string describe(const Case& c) {
  return std::string(c.transposed ? "conv_transpose" : "conv") + " x " + to_string(c.x) + " w " +
         to_string(c.w) + " groups " + std::to_string(c.p.groups);
}

Tensor forward(const Case& c, const Tensor& x, const Tensor& w, const Tensor& b) {
  return c.transposed ? conv_transpose_forward(x, w, b, c.p) : conv_forward(x, w, b, c.p);
}

ConvGrads backward(const Case& c, const Tensor& x, const Tensor& w, const Tensor& dy, bool bias,
                   bool need_dx) {
  return c.transposed ? conv_transpose_backward(x, w, dy, c.p, bias, need_dx)
                      : conv_backward(x, w, dy, c.p, bias, need_dx);
}

// Output, input, weight and bias gradients of one case on the GPU against the CPU's.
void expect_matches_the_cpu(const Case& c) {
  SCOPED_TRACE(describe(c));
  const Tensor x = random_tensor(c.x, 1), w = random_tensor(c.w, 2), b = random_tensor({c.w[0]}, 3);
  const Tensor gx = x.to(kGpu), gw = w.to(kGpu), gb = b.to(kGpu);
  const Tensor y = forward(c, x, w, b);
  EXPECT_GPU_NEAR(forward(c, gx, gw, gb), y, 1e-4);
  EXPECT_GPU_NEAR(forward(c, gx, gw, Tensor()), forward(c, x, w, Tensor()), 1e-4);

  const Tensor dy = random_tensor(y.shape(), 4);
  const ConvGrads cpu = backward(c, x, w, dy, true, true);
  const ConvGrads gpu = backward(c, gx, gw, dy.to(kGpu), true, true);
  ASSERT_TRUE(gpu.dx.defined() && gpu.db.defined());
  EXPECT_GPU_NEAR(gpu.dx, cpu.dx, 1e-4);
  EXPECT_GPU_NEAR(gpu.dw, cpu.dw, 1e-4);
  EXPECT_GPU_NEAR(gpu.db, cpu.db, 1e-4);

  // Without bias and input gradient: the weight gradient alone.
  const ConvGrads weights_only = backward(c, gx, gw, dy.to(kGpu), false, false);
  EXPECT_FALSE(weights_only.dx.defined());
  EXPECT_FALSE(weights_only.db.defined());
  EXPECT_GPU_NEAR(weights_only.dw, cpu.dw, 1e-4);
}

}  // namespace

TEST(CudaConv, Conv2DMatchesTheCpu) {
  REQUIRE_GPU();
  const std::vector<Case> cases = {
      {{2, 1, 9, 8}, {8, 1, 3, 3}, {.padding = {1, 1}}},
      {{2, 3, 9, 8}, {12, 3, 3, 3}, {.padding = {1, 1}}},
      {{2, 8, 9, 8}, {8, 8, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}}},
      {{2, 8, 9, 8}, {12, 4, 3, 3}, {.padding = {1, 1}, .groups = 2}},
      {{2, 3, 9, 8}, {8, 3, 3, 3}, {.padding = {2, 2}, .dilation = {2, 2}}},
      {{2, 12, 9, 8}, {3, 12, 1, 1}, {}},
  };
  for (const Case& c : cases) expect_matches_the_cpu(c);
}

TEST(CudaConv, Conv3DMatchesTheCpu) {
  REQUIRE_GPU();
  const std::vector<Case> cases = {
      {{2, 1, 5, 6, 7}, {8, 1, 3, 3, 3}, {.padding = {1, 1, 1}}},
      {{2, 3, 5, 6, 7}, {12, 3, 3, 3, 3}, {.padding = {1, 1, 1}}},
      {{2, 8, 5, 6, 7}, {8, 8, 3, 3, 3}, {.stride = {2, 2, 2}, .padding = {1, 1, 1}}},
      {{2, 8, 5, 6, 7}, {12, 4, 3, 3, 3}, {.padding = {1, 1, 1}, .groups = 2}},
      {{2, 3, 5, 6, 7}, {8, 3, 3, 3, 3}, {.padding = {2, 2, 2}, .dilation = {2, 2, 2}}},
  };
  for (const Case& c : cases) expect_matches_the_cpu(c);
}

TEST(CudaConv, Conv1DMatchesTheCpu) {
  REQUIRE_GPU();
  expect_matches_the_cpu({{2, 3, 17}, {8, 3, 3}, {.stride = {2}, .padding = {1}}});
}

TEST(CudaConvTranspose, Transposed2DMatchesTheCpu) {
  REQUIRE_GPU();
  const std::vector<Case> cases = {
      {{2, 8, 4, 5}, {3, 8, 2, 2}, {.stride = {2, 2}}, true},
      {{2, 3, 4, 5},
       {8, 3, 3, 3},
       {.stride = {2, 2}, .padding = {1, 1}, .output_padding = {1, 1}},
       true},
      {{2, 8, 4, 5}, {6, 4, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 2}, true},
      {{2, 3, 4, 5}, {4, 3, 3, 3}, {.dilation = {2, 2}}, true},
      {{2, 1, 4, 5}, {12, 1, 3, 3}, {.stride = {2, 1}, .padding = {1, 1}}, true},
  };
  for (const Case& c : cases) expect_matches_the_cpu(c);
}

TEST(CudaConvTranspose, Transposed3DMatchesTheCpu) {
  REQUIRE_GPU();
  const std::vector<Case> cases = {
      {{1, 12, 3, 4, 2}, {8, 12, 2, 2, 2}, {.stride = {2, 2, 2}}, true},
      {{2, 8, 3, 4, 3},
       {8, 8, 3, 3, 3},
       {.stride = {2, 2, 2}, .padding = {1, 1, 1}, .output_padding = {1, 1, 1}},
       true},
      {{2, 8, 3, 4, 3}, {6, 4, 3, 3, 3}, {.padding = {1, 1, 1}, .groups = 2}, true},
  };
  for (const Case& c : cases) expect_matches_the_cpu(c);
}

TEST(CudaConvTranspose, Transposed1DMatchesTheCpu) {
  REQUIRE_GPU();
  expect_matches_the_cpu(
      {{2, 8, 6}, {3, 8, 3}, {.stride = {2}, .padding = {1}, .output_padding = {1}}, true});
}
