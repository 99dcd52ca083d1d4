// Convolutions computing in bf16 (ConvParams::compute): the products of bfloat16 operands summed
// in float32. Such a convolution must equal the float32 one run on operands rounded to bfloat16
// first, up to summation order, over the layouts the engine picks by channel count (the odd 12
// and 28, the blocked 16 and 32, channels-last 3D) and the padded weight-gradient path. Those
// the CPU keeps in float32 (stems, 2D below 16 channels: slower in bf16) must equal float32.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "gradcheck.hpp"
#include "tessera/info.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/conv.hpp"

namespace tessera {
namespace {

using testing::expect_close;
using testing::random_tensor;

// Rounds every element to the nearest bfloat16 (ties to even), as the CPU's conversion does.
Tensor rounded_to_bf16(const Tensor& t) {
  Tensor out = t.to_plain().clone();
  for (int64_t i = 0; i < out.numel(); ++i) {
    uint32_t bits = 0;
    std::memcpy(&bits, out.data() + i, 4);
    bits = (bits + 0x7fff + ((bits >> 16) & 1)) & 0xffff0000u;
    std::memcpy(out.data() + i, &bits, 4);
  }
  return out;
}

float largest_difference(const Tensor& a, const Tensor& b) {
  const auto va = a.to_vector(), vb = b.to_vector();
  float most = 0;
  for (size_t i = 0; i < va.size(); ++i) most = std::max(most, std::abs(va[i] - vb[i]));
  return most;
}

struct Bf16Case {
  Shape x, w;
  ConvParams p;
  bool transposed = false;
  bool in_bf16 = true;  // false: the CPU runs this one in float32 (too few channels)
};

class ConvBf16 : public ::testing::TestWithParam<Bf16Case> {
 protected:
  void SetUp() override {
    if (!bf16_supported()) GTEST_SKIP() << "this CPU has no AVX-512: no bf16 convolutions";
  }
};

TEST_P(ConvBf16, EqualsFloat32OnRoundedOperands) {
  const Bf16Case& c = GetParam();
  const Tensor x = random_tensor(c.x, 1), w = random_tensor(c.w, 2), b = random_tensor({c.w[0]}, 3);
  ConvParams bf16 = c.p, f32 = c.p;
  bf16.compute = DataType::bf16;
  auto forward = [&](const Tensor& xx, const Tensor& ww, const ConvParams& p) {
    return c.transposed ? conv_transpose_forward(xx, ww, b, p) : conv_forward(xx, ww, b, p);
  };
  auto backward = [&](const Tensor& xx, const Tensor& ww, const Tensor& dy, const ConvParams& p) {
    return c.transposed ? conv_transpose_backward(xx, ww, dy, p, true)
                        : conv_backward(xx, ww, dy, p, true);
  };
  const Tensor y = forward(x, w, bf16);
  const Tensor dy = random_tensor(y.shape(), 4);
  const ConvGrads g = backward(x, w, dy, bf16);
  if (!c.in_bf16) {
    const ConvGrads ref = backward(x, w, dy, f32);
    expect_close(y.to_plain(), forward(x, w, f32).to_plain(), 1e-6f);
    expect_close(g.dx.to_plain(), ref.dx.to_plain(), 1e-6f);
    expect_close(g.dw.to_plain(), ref.dw.to_plain(), 1e-6f);
    return;
  }
  const Tensor xr = rounded_to_bf16(x), wr = rounded_to_bf16(w);
  expect_close(y.to_plain(), forward(xr, wr, f32).to_plain(), 2e-4f);
  // The operands were rounded: bf16 keeps 8 bits of mantissa, so the plain float32 result
  // differs (this would fail if the bf16 setting were ignored).
  EXPECT_GT(largest_difference(y.to_plain(), forward(x, w, f32).to_plain()), 1e-3f);

  const Tensor dyr = rounded_to_bf16(dy);
  const ConvGrads ref = backward(xr, wr, dyr, f32);
  expect_close(g.dx.to_plain(), ref.dx.to_plain(), 2e-4f);
  expect_close(g.dw.to_plain(), ref.dw.to_plain(), 5e-4f);
  expect_close(g.db.to_plain(), ref.db.to_plain(), 5e-4f);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvBf16,
    ::testing::Values(
        // kept in float32: too few channels for bf16 to pay
        Bf16Case{{2, 3, 12, 11}, {16, 3, 3, 3}, {.padding = {1, 1}}, false, false},  // 2D stem
        Bf16Case{{1, 8, 10, 9}, {8, 8, 3, 3}, {.padding = {1, 1}}, false, false},    // 2D 8
        Bf16Case{
            {1, 1, 6, 7, 6}, {8, 1, 3, 3, 3}, {.padding = {1, 1, 1}}, false, false},  // 3D stem
        // in bf16
        Bf16Case{{1, 28, 8, 8}, {36, 28, 3, 3}, {.padding = {1, 1}}},           // channels last
        Bf16Case{{2, 16, 9, 10}, {32, 16, 3, 3}, {.stride = {2, 2}}},           // blocked
        Bf16Case{{1, 8, 6, 6, 5}, {8, 8, 3, 3, 3}, {.padding = {1, 1, 1}}},     // padded dw
        Bf16Case{{1, 12, 4, 5, 4}, {12, 12, 3, 3, 3}, {.padding = {1, 1, 1}}},  // channels last
        Bf16Case{{1, 16, 5, 6, 6}, {16, 16, 3, 3, 3}, {.padding = {1, 1, 1}}},  // 3D blocked
        Bf16Case{{1, 32, 4, 5}, {16, 32, 2, 2}, {.stride = {2, 2}}, true},      // 2D up
        // 2D up to 8 channels: a 1x1 convolution of 32 -> 8 x 4 channels, wide enough for bf16
        Bf16Case{{1, 32, 4, 5}, {8, 32, 2, 2}, {.stride = {2, 2}}, true},
        Bf16Case{{1, 16, 3, 4, 3}, {16, 16, 2, 2, 2}, {.stride = {2, 2, 2}}, true}  // 3D up
        ),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(ConvBf16, LayerComputesInTheTypeItIsSet) {
  if (!bf16_supported()) GTEST_SKIP() << "this CPU has no AVX-512: no bf16 convolutions";
  Conv conv({.in_channels = 16, .out_channels = 16, .kernel = {3, 3}, .padding = {1, 1}});
  const Tensor x = random_tensor({1, 16, 8, 8}, 5);
  const Tensor y32 = conv.forward(x, Mode::eval).to_plain();
  set_compute_type(conv, DataType::bf16);
  const Tensor y16 = conv.forward(x, Mode::eval).to_plain();
  const Tensor ref = conv_forward(rounded_to_bf16(x), rounded_to_bf16(conv.weight().value),
                                  conv.bias().value, {.padding = {1, 1}})
                         .to_plain();
  expect_close(y16, ref, 2e-4f);
  EXPECT_GT(largest_difference(y16, y32), 1e-3f);
  // The twin a tiled run uses (no padding along an axis, the zeros supplied) computes in it too.
  Tensor padded = Tensor::zeros({1, 16, 10, 8});
  for (int64_t c = 0; c < 16; ++c)
    std::memcpy(padded.data() + (c * 10 + 1) * 8, x.data() + c * 64, 64 * sizeof(float));
  const Tensor twin_y = conv.without_padding(0)->forward(padded, Mode::eval).to_plain();
  expect_close(twin_y, y16, 2e-4f);
}

TEST(ConvBf16, RejectsOtherComputeTypes) {
  const Tensor x = random_tensor({1, 2, 5, 5}, 6), w = random_tensor({2, 2, 3, 3}, 7);
  ConvParams p;
  p.compute = DataType::f16;
  EXPECT_THROW(conv_forward(x, w, Tensor(), p), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
