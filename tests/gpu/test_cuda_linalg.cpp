// Linear layers, matrix products, eigendecompositions and K-FAC's factors on the GPU against the
// CPU (labelled gpu).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "tessera/ops/conv.hpp"
#include "tessera/ops/kron_factors.hpp"
#include "tessera/ops/linalg.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;

TEST(CudaLinear, ForwardAndBackwardMatchTheCpu) {
  REQUIRE_GPU();
  // [N, C, H, W] inputs are flattened to [N, C*H*W]; 1 and 3 features and outputs too.
  const std::vector<Shape> inputs = {{5, 12}, {4, 3, 2, 2}, {3, 1}, {6, 3}};
  const std::vector<int64_t> outputs = {7, 8, 1, 3};
  for (std::size_t c = 0; c < inputs.size(); ++c) {
    const Tensor x = random_tensor(inputs[c], 10 + c);
    const int64_t f = x.numel() / x.dim(0), o = outputs[c];
    const Tensor w = random_tensor({o, f}, 20 + c), b = random_tensor({o}, 30 + c);
    const Tensor dy = random_tensor({x.dim(0), o}, 40 + c);
    const Tensor gx = x.to(kGpu), gw = w.to(kGpu), gb = b.to(kGpu), gdy = dy.to(kGpu);
    for (const bool bias : {false, true}) {
      EXPECT_GPU_NEAR(linear_forward(gx, gw, bias ? gb : Tensor()),
                      linear_forward(x, w, bias ? b : Tensor()), 1e-4);
      for (const bool need_dx : {false, true}) {
        const ConvGrads gpu = linear_backward(gx, gw, gdy, bias, need_dx);
        const ConvGrads cpu = linear_backward(x, w, dy, bias, need_dx);
        EXPECT_EQ(gpu.dx.defined(), need_dx);
        EXPECT_EQ(gpu.db.defined(), bias);
        if (need_dx) {
          EXPECT_EQ(gpu.dx.shape(), x.shape());
          EXPECT_GPU_NEAR(gpu.dx, cpu.dx, 1e-4);
        }
        EXPECT_GPU_NEAR(gpu.dw, cpu.dw, 1e-4);
        if (bias) {
          EXPECT_GPU_NEAR(gpu.db, cpu.db, 1e-4);
        }
      }
    }
  }
}

TEST(CudaLinalg, MatmulMatchesTheCpuInEveryTransposition) {
  REQUIRE_GPU();
  const int64_t m = 5, k = 7, n = 3;
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      const Tensor a = random_tensor(ta ? Shape{k, m} : Shape{m, k}, 1);
      const Tensor b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, 2);
      const Tensor gpu = matmul(a.to(kGpu), b.to(kGpu), ta, tb);
      EXPECT_EQ(gpu.shape(), (Shape{m, n}));
      EXPECT_GPU_NEAR(gpu, matmul(a, b, ta, tb), 1e-5) << ta << tb;
    }
}

// Eigenvector signs are arbitrary, so the GPU's pairs are checked by A v = lambda v and its
// values against the CPU's.
TEST(CudaLinalg, SymmetricEigenMatchesTheCpu) {
  REQUIRE_GPU();
  const int64_t n = 12;
  const Tensor r = random_tensor({n, n}, 3);
  Tensor a = matmul(r, r, false, true);  // symmetric positive definite once the diagonal grows
  for (int64_t i = 0; i < n; ++i) a.data()[i * n + i] += 0.5f;
  const SymmetricEigen cpu = symmetric_eigen(a);
  const SymmetricEigen gpu = symmetric_eigen(a.to(kGpu));
  ASSERT_EQ(gpu.values.size(), std::size_t(n));
  EXPECT_EQ(gpu.vectors.shape(), (Shape{n, n}));
  EXPECT_TRUE(gpu.vectors.device() == kGpu);
  const double largest = cpu.values.back();
  for (std::size_t k = 0; k < gpu.values.size(); ++k) {
    EXPECT_NEAR(gpu.values[k], cpu.values[k], 1e-5 * largest) << k;
    if (k > 0) {
      EXPECT_LE(gpu.values[k - 1], gpu.values[k]);
    }
  }
  const std::vector<float> v = gpu.vectors.to_vector();
  for (int64_t k = 0; k < n; ++k)
    for (int64_t i = 0; i < n; ++i) {
      double av = 0;
      for (int64_t j = 0; j < n; ++j) av += double(a.data()[i * n + j]) * v[std::size_t(j * n + k)];
      EXPECT_NEAR(av, gpu.values[std::size_t(k)] * v[std::size_t(i * n + k)], 1e-4 * largest)
          << "row " << i << " of eigenvector " << k;
    }
}

TEST(CudaLinalg, DotAndDivideOuterMatchTheCpu) {
  REQUIRE_GPU();
  // Many elements: the partial sums of every block and the fold over blocks are both exercised.
  const Tensor a = random_tensor({7, 3, 61, 53}, 4), b = random_tensor({7, 3, 61, 53}, 5);
  const double cpu = dot(a, b), gpu = dot(a.to(kGpu), b.to(kGpu));
  // Both sum in double, in different orders: they differ in the last bits only.
  EXPECT_NEAR(gpu, cpu, 1e-10 * (1 + std::abs(cpu)));
  // Fewer elements than threads: most partial sums are empty.
  const Tensor c = random_tensor({3}, 9), d = random_tensor({3}, 10);
  EXPECT_NEAR(dot(c.to(kGpu), d.to(kGpu)), dot(c, d), 1e-12);

  const Tensor m = random_tensor({5, 3}, 6);
  const std::vector<double> rows = {0.5, 1.5, 2.0, 0.25, 3.0}, cols = {1.25, 0.75, 4.0};
  EXPECT_GPU_NEAR(divide_outer(m.to(kGpu), rows, cols), divide_outer(m, rows, cols), 1e-6);
}

TEST(CudaKronFactors, PatchCovarianceMatchesTheCpu) {
  REQUIRE_GPU();
  struct Case {
    Shape x, kernel;
    ConvParams p;
  };
  const std::vector<Case> cases = {
      {{2, 3, 7, 6}, {3, 3}, {.padding = {1, 1}}},
      {{1, 1, 9, 8}, {3, 2}, {.stride = {2, 1}, .padding = {1, 0}, .dilation = {2, 1}}},
      {{2, 8, 5, 4, 6}, {3, 1, 2}, {.stride = {1, 2, 1}, .padding = {1, 0, 1}}},
      {{3, 12, 4, 4, 4}, {3, 3, 3}, {.stride = {2, 2, 2}, .padding = {1, 1, 1}}},
      {{6, 12}, {}, {}},  // a linear layer
  };
  for (const Case& c : cases) {
    const Tensor x = random_tensor(c.x, 7);
    for (const bool bias : {false, true})
      EXPECT_GPU_NEAR(patch_covariance(x.to(kGpu), c.kernel, c.p, bias),
                      patch_covariance(x, c.kernel, c.p, bias), 1e-4)
          << to_string(c.x) << " bias " << bias;
  }
}

TEST(CudaKronFactors, OutputGradientCovarianceMatchesTheCpu) {
  REQUIRE_GPU();
  for (const Shape& shape :
       std::vector<Shape>{{3, 4, 5, 2}, {2, 1, 3, 4, 5}, {2, 12, 3, 2, 2}, {6, 3}, {5, 8, 1, 1}}) {
    const Tensor dy = random_tensor(shape, 8);
    EXPECT_GPU_NEAR(output_gradient_covariance(dy.to(kGpu)), output_gradient_covariance(dy), 1e-4)
        << to_string(shape);
  }
}
