// Elementwise ops and optimizer updates on the GPU against the CPU (labelled gpu).
#include <gtest/gtest.h>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "tessera/ops/elementwise.hpp"
#include "tessera/ops/update.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;

TEST(CudaElementwise, MatchesTheCpu) {
  REQUIRE_GPU();
  const Tensor a = random_tensor({3, 4, 5, 6}, 1), b = random_tensor({3, 4, 5, 6}, 2);
  const Tensor ga = a.to(kGpu), gb = b.to(kGpu);
  EXPECT_GPU_NEAR(add(ga, gb), add(a, b), 1e-6);
  EXPECT_GPU_NEAR(subtract(ga, gb), subtract(a, b), 1e-6);
  EXPECT_GPU_NEAR(multiply(ga, gb), multiply(a, b), 1e-6);
  EXPECT_GPU_NEAR(scale(ga, -0.25f), scale(a, -0.25f), 1e-6);
}

TEST(CudaUpdate, SgdAndAdamMatchTheCpu) {
  REQUIRE_GPU();
  for (const bool nesterov : {false, true}) {
    Tensor w = random_tensor({64, 9}, 3), g = random_tensor({64, 9}, 4),
           v = random_tensor({64, 9}, 5);
    Tensor gw = w.to(kGpu), gg = g.to(kGpu), gv = v.to(kGpu);
    const SgdStep s{.lr = 0.1f, .momentum = 0.9f, .weight_decay = 0.01f, .nesterov = nesterov};
    sgd_update(w, g, v, s);
    sgd_update(gw, gg, gv, s);
    EXPECT_GPU_NEAR(gw, w, 1e-6);
    EXPECT_GPU_NEAR(gv, v, 1e-6);
  }
  for (const bool decoupled : {false, true}) {
    Tensor w = random_tensor({64, 9}, 6), g = random_tensor({64, 9}, 7);
    Tensor m = random_tensor({64, 9}, 8), v = random_tensor({64, 9}, 9, 0.f, 1.f);
    Tensor gw = w.to(kGpu), gg = g.to(kGpu), gm = m.to(kGpu), gv = v.to(kGpu);
    const AdamStep s{.lr = 0.01f,
                     .weight_decay = 0.1f,
                     .decoupled = decoupled,
                     .bias_correction1 = 0.19f,
                     .bias_correction2 = 0.02f};
    adam_update(w, g, m, v, s);
    adam_update(gw, gg, gm, gv, s);
    EXPECT_GPU_NEAR(gw, w, 1e-5);
    EXPECT_GPU_NEAR(gm, m, 1e-6);
    EXPECT_GPU_NEAR(gv, v, 1e-6);
  }
}
