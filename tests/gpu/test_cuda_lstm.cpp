// The LSTM op on the GPU (cuDNN) against the CPU (oneDNN), forward and backward (labelled gpu).
#include <gtest/gtest.h>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "tessera/ops/lstm.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;

namespace {

struct LstmCase {
  int64_t steps, batch, inputs, hidden;
};

// Weights in [-0.5, 0.5]: the gates stay off saturation, so every gradient has something in it.
LstmWeights random_weights(const LstmCase& c, uint64_t seed) {
  return {random_tensor({1, 1, c.inputs, 4, c.hidden}, seed, -0.5f, 0.5f),
          random_tensor({1, 1, c.hidden, 4, c.hidden}, seed + 1, -0.5f, 0.5f),
          random_tensor({1, 1, 4, c.hidden}, seed + 2, -0.5f, 0.5f)};
}

LstmWeights on_gpu(const LstmWeights& w) {
  return {w.input.to(kGpu), w.recurrent.to(kGpu), w.bias.to(kGpu)};
}

void expect_gpu_matches_cpu(const LstmCase& c) {
  SCOPED_TRACE(::testing::Message()
               << "T=" << c.steps << " N=" << c.batch << " C=" << c.inputs << " H=" << c.hidden);
  const Tensor x = random_tensor({c.steps, c.batch, c.inputs}, 1);
  const Tensor dy = random_tensor({c.steps, c.batch, c.hidden}, 2);
  const LstmWeights w = random_weights(c, 3), gw = on_gpu(w);
  const Tensor gx = x.to(kGpu), gdy = dy.to(kGpu);

  EXPECT_GPU_NEAR(lstm_forward(gx, gw, false).y, lstm_forward(x, w, false).y, 1e-4);
  const LstmResult cpu = lstm_forward(x, w, true), gpu = lstm_forward(gx, gw, true);
  EXPECT_GPU_NEAR(gpu.y, cpu.y, 1e-4);

  const LstmGrads want = lstm_backward(x, cpu, w, dy);
  // Twice on one forward: backward leaves the forward's result as it found it.
  for (int run = 0; run < 2; ++run) {
    const LstmGrads got = lstm_backward(gx, gpu, gw, gdy);
    EXPECT_GPU_NEAR(got.dx, want.dx, 1e-4);
    EXPECT_GPU_NEAR(got.d_input, want.d_input, 1e-4);
    EXPECT_GPU_NEAR(got.d_recurrent, want.d_recurrent, 1e-4);
    EXPECT_GPU_NEAR(got.d_bias, want.d_bias, 1e-4);
  }
}

}  // namespace

TEST(CudaLstm, MatchesTheCpu) {
  REQUIRE_GPU();
  expect_gpu_matches_cpu({.steps = 11, .batch = 3, .inputs = 7, .hidden = 5});
}

TEST(CudaLstm, MatchesTheCpuOnOtherShapes) {
  REQUIRE_GPU();
  expect_gpu_matches_cpu({.steps = 6, .batch = 1, .inputs = 1, .hidden = 12});
  expect_gpu_matches_cpu({.steps = 1, .batch = 5, .inputs = 12, .hidden = 3});
  expect_gpu_matches_cpu({.steps = 20, .batch = 4, .inputs = 8, .hidden = 64});
}
