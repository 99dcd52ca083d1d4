// Convolution, transposed convolution and linear layers: values against a naive reference,
// gradients against finite differences, blocked layouts against plain ones.
#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/ops/conv.hpp"

namespace tessera {
namespace {

using testing::dot;
using testing::expect_close;
using testing::expect_gradient_close;
using testing::random_tensor;

// Spatial settings lifted to 3D (2D inputs get a depth of 1).
struct Spatial3 {
  int64_t d, h, w;
};
Spatial3 lift(const Shape& s, size_t from) {
  if (s.size() - from == 2) return {1, s[from], s[from + 1]};
  return {s[from], s[from + 1], s[from + 2]};
}
Spatial3 lift_param(const Shape& p, int sd, int64_t def) {
  if (p.empty()) return {def, def, def};
  if (sd == 2) return {def == 0 ? 0 : 1, p[0], p[1]};
  return {p[0], p[1], p[2]};
}

// y[n,o,z,y,x] = b[o] + sum_{c in group, k} x[n,c, z*s - p + k*d] * w[o,c',k].
Tensor naive_conv(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p) {
  const int sd = x.spatial_dims();
  const Shape ys = conv_output_shape(x.shape(), w.shape(), p);
  Tensor y = Tensor::zeros(ys);
  const Spatial3 X = lift(x.shape(), 2), K = lift(w.shape(), 2), Y = lift(ys, 2);
  const Spatial3 S = lift_param(p.stride, sd, 1), P = lift_param(p.padding, sd, 0),
                 D = lift_param(p.dilation, sd, 1);
  const int64_t N = x.dim(0), Ci = x.dim(1), Co = w.dim(0), G = p.groups, cig = Ci / G,
                cog = Co / G;
  const float* xd = x.data();
  const float* wd = w.data();
  float* yd = y.data();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < Co; ++o)
      for (int64_t z = 0; z < Y.d; ++z)
        for (int64_t r = 0; r < Y.h; ++r)
          for (int64_t c = 0; c < Y.w; ++c) {
            double acc = b.defined() ? b.data()[o] : 0.0;
            const int64_t g = o / cog;
            for (int64_t ci = 0; ci < cig; ++ci)
              for (int64_t kz = 0; kz < K.d; ++kz)
                for (int64_t kr = 0; kr < K.h; ++kr)
                  for (int64_t kc = 0; kc < K.w; ++kc) {
                    const int64_t iz = z * S.d - P.d + kz * D.d, ir = r * S.h - P.h + kr * D.h,
                                  ic = c * S.w - P.w + kc * D.w;
                    if (iz < 0 || iz >= X.d || ir < 0 || ir >= X.h || ic < 0 || ic >= X.w) continue;
                    const int64_t xi = (((n * Ci + g * cig + ci) * X.d + iz) * X.h + ir) * X.w + ic;
                    const int64_t wi = (((o * cig + ci) * K.d + kz) * K.h + kr) * K.w + kc;
                    acc += double(xd[xi]) * wd[wi];
                  }
            yd[(((n * Co + o) * Y.d + z) * Y.h + r) * Y.w + c] = static_cast<float>(acc);
          }
  return y;
}

struct ConvCase {
  Shape x, w;
  ConvParams p;
};

class ConvReference : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvReference, MatchesNaiveLoops) {
  const ConvCase& c = GetParam();
  Tensor x = random_tensor(c.x, 1), w = random_tensor(c.w, 2), b = random_tensor({c.w[0]}, 3);
  expect_close(conv_forward(x, w, b, c.p), naive_conv(x, w, b, c.p), 1e-4f);
  expect_close(conv_forward(x, w, Tensor(), c.p), naive_conv(x, w, Tensor(), c.p), 1e-4f);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvReference,
    ::testing::Values(
        ConvCase{{2, 3, 9, 8}, {4, 3, 3, 3}, {.padding = {1, 1}}},
        ConvCase{{1, 4, 11, 10}, {6, 4, 3, 2}, {.stride = {2, 3}, .padding = {1, 0}}},
        ConvCase{
            {1, 4, 12, 12}, {4, 2, 3, 3}, {.padding = {2, 2}, .dilation = {2, 2}, .groups = 2}},
        ConvCase{{2, 1, 7, 7}, {8, 1, 1, 1}, {}},
        ConvCase{{1, 2, 6, 7, 5}, {3, 2, 3, 3, 3}, {.padding = {1, 1, 1}}},
        // A 3D stem of 8 channels, written channels-last.
        ConvCase{{2, 1, 5, 6, 7}, {8, 1, 3, 3, 3}, {.padding = {1, 1, 1}}},
        ConvCase{{2, 4, 7, 9, 8},
                 {4, 2, 3, 3, 3},
                 {.stride = {2, 1, 2}, .padding = {1, 0, 1}, .dilation = {1, 2, 1}, .groups = 2}}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

// f(x, w, b) = dot(r, conv(x, w, b)); checks dx, dw, db by central differences.
void check_conv_gradients(const Shape& xs, const Shape& ws, const ConvParams& p, bool transposed) {
  Tensor x = random_tensor(xs, 11), w = random_tensor(ws, 12), b = random_tensor({ws[0]}, 13);
  auto fwd = [&] {
    return transposed ? conv_transpose_forward(x, w, b, p) : conv_forward(x, w, b, p);
  };
  const Tensor r = random_tensor(fwd().shape(), 14);
  const ConvGrads g =
      transposed ? conv_transpose_backward(x, w, r, p, true) : conv_backward(x, w, r, p, true);
  auto f = [&] { return dot(r, fwd()); };
  expect_gradient_close("dx", x, g.dx, f);
  expect_gradient_close("dw", w, g.dw, f);
  expect_gradient_close("db", b, g.db, f);
}

TEST(Conv, Gradient2D) {
  check_conv_gradients({2, 3, 6, 5}, {4, 3, 3, 3}, {.padding = {1, 1}}, false);
}
TEST(Conv, GradientStridedDilatedGrouped2D) {
  check_conv_gradients({2, 4, 9, 8}, {6, 2, 3, 3},
                       {.stride = {2, 1}, .padding = {1, 2}, .dilation = {1, 2}, .groups = 2},
                       false);
}
TEST(Conv, Gradient3D) {
  check_conv_gradients({1, 2, 5, 4, 5}, {3, 2, 3, 3, 3}, {.padding = {1, 1, 1}}, false);
}
TEST(Conv, GradientStrided3D) {
  check_conv_gradients({2, 2, 6, 5, 6}, {4, 1, 2, 3, 2},
                       {.stride = {2, 1, 2}, .padding = {0, 1, 0}, .groups = 2}, false);
}
// A few channels (8, 12): oneDNN has no AVX-512 kernel for their weight gradient, and the
// engine pads the channels to 16 with zeros; the gradient must be the unpadded one.
TEST(Conv, GradientWithFewChannels3D) {
  check_conv_gradients({1, 8, 4, 5, 4}, {8, 8, 3, 3, 3}, {.padding = {1, 1, 1}}, false);
}
TEST(Conv, GradientOfAStem3D) {
  check_conv_gradients({2, 1, 4, 5, 4}, {8, 1, 3, 3, 3}, {.padding = {1, 1, 1}}, false);
  check_conv_gradients({1, 3, 4, 4, 5}, {12, 3, 3, 3, 3}, {.padding = {1, 1, 1}}, false);
}
TEST(Conv, GradientWithTwelveChannels) {
  check_conv_gradients({1, 12, 6, 7}, {12, 12, 3, 3}, {.padding = {1, 1}}, false);
  check_conv_gradients({1, 12, 4, 4, 3}, {8, 12, 3, 3, 3}, {.padding = {1, 1, 1}}, false);
}
TEST(ConvTranspose, Gradient2D) {
  check_conv_gradients({2, 4, 4, 3}, {3, 4, 2, 2}, {.stride = {2, 2}}, true);
}
TEST(ConvTranspose, GradientPaddedGrouped2D) {
  check_conv_gradients({1, 4, 4, 5}, {6, 2, 3, 3},
                       {.stride = {2, 2}, .padding = {1, 1}, .groups = 2}, true);
}
TEST(ConvTranspose, Gradient3D) {
  check_conv_gradients({1, 4, 3, 3, 2}, {2, 4, 2, 2, 2}, {.stride = {2, 2, 2}}, true);
}

// A transposed convolution whose kernel equals its stride (the U-Nets' upsampling) runs as a 1x1
// convolution whose channels are spread over the windows: each window is the input pixel times
// the weights, plus the bias.
// y[n, o, z*kd + a, r*kh + c, q*kw + e] = b[o] + sum_i x[n, i, z, r, q] * w[o, i, a, c, e].
Tensor naive_window_transpose(const Tensor& x, const Tensor& w, const Tensor& b) {
  const Spatial3 X = lift(x.shape(), 2), K = lift(w.shape(), 2);
  Shape ys = {x.dim(0), w.dim(0)};
  for (int d = 0; d < x.spatial_dims(); ++d) ys.push_back(x.dim(2 + d) * w.dim(2 + d));
  Tensor y = Tensor::empty(ys);
  const int64_t ci = x.dim(1), co = w.dim(0), yd = X.d * K.d, yh = X.h * K.h, yw = X.w * K.w;
  for (int64_t n = 0; n < x.dim(0); ++n)
    for (int64_t o = 0; o < co; ++o)
      for (int64_t z = 0; z < yd; ++z)
        for (int64_t r = 0; r < yh; ++r)
          for (int64_t q = 0; q < yw; ++q) {
            double acc = b.data()[o];
            const int64_t k = ((z % K.d) * K.h + r % K.h) * K.w + q % K.w;
            for (int64_t i = 0; i < ci; ++i)
              acc +=
                  double(
                      x.data()[(((n * ci + i) * X.d + z / K.d) * X.h + r / K.h) * X.w + q / K.w]) *
                  w.data()[(o * ci + i) * K.d * K.h * K.w + k];
            y.data()[(((n * co + o) * yd + z) * yh + r) * yw + q] = float(acc);
          }
  return y;
}

TEST(ConvTranspose, WindowsThatDoNotOverlapMatchNaiveLoops) {
  struct Case {
    Shape x, w, stride;
  };
  for (const Case& c :
       {Case{{2, 3, 5, 4}, {5, 3, 2, 2}, {2, 2}}, Case{{1, 4, 3, 2, 3}, {3, 4, 2, 1, 2}, {2, 1, 2}},
        Case{{1, 12, 3, 4, 2}, {8, 12, 2, 2, 2}, {2, 2, 2}},
        Case{{1, 32, 2, 3, 2}, {16, 32, 2, 2, 2}, {2, 2, 2}}}) {
    const Tensor x = random_tensor(c.x, 1), w = random_tensor(c.w, 2),
                 b = random_tensor({c.w[0]}, 3);
    const Tensor want = naive_window_transpose(x, w, b);
    expect_close(conv_transpose_forward(x, w, b, {.stride = c.stride}), want, 1e-5f);
    // An input in a blocked layout, as a convolution hands it on.
    expect_close(conv_transpose_forward(testing::blocked8(x), w, b, {.stride = c.stride}), want,
                 1e-5f);
  }
}

TEST(ConvTranspose, GradientOfWindowsThatDoNotOverlap3D) {
  check_conv_gradients({1, 3, 2, 3, 2}, {5, 3, 2, 1, 2}, {.stride = {2, 1, 2}}, true);
  check_conv_gradients({2, 12, 2, 2, 2}, {8, 12, 2, 2, 2}, {.stride = {2, 2, 2}}, true);
}

TEST(ConvTranspose, IsTheAdjointOfConvolution) {
  // <conv(x), y> == <x, conv_transpose(y)> when both use the same weights (no bias).
  const ConvParams p{.stride = {2, 2}, .padding = {1, 1}};
  Tensor x = random_tensor({1, 3, 8, 8}, 1), w = random_tensor({5, 3, 3, 3}, 2);
  Tensor y = random_tensor(conv_output_shape(x.shape(), w.shape(), p), 3);
  // conv weights [Co=5, Ci=3]; the transpose maps 5 -> 3 channels with weights [3, 5, K]:
  Tensor wt = Tensor::empty({3, 5, 3, 3});
  for (int64_t o = 0; o < 5; ++o)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t k = 0; k < 9; ++k)
        wt.data()[(i * 5 + o) * 9 + k] = w.data()[(o * 3 + i) * 9 + k];
  ConvParams pt = p;
  pt.output_padding = {1, 1};  // 4 -> 8 exactly
  const Tensor xt = conv_transpose_forward(y, wt, Tensor(), pt);
  ASSERT_EQ(xt.shape(), x.shape());
  EXPECT_NEAR(dot(conv_forward(x, w, Tensor(), p), y), dot(x, xt), 1e-3);
}

TEST(Conv, BlockedInputGivesTheSameResult) {
  Tensor x = random_tensor({2, 8, 7, 6}, 5), w = random_tensor({8, 8, 3, 3}, 6),
         b = random_tensor({8}, 7);
  const ConvParams p{.padding = {1, 1}};
  const Tensor blocked = testing::blocked8(x);
  ASSERT_FALSE(blocked.is_plain());
  expect_close(conv_forward(blocked, w, b, p), conv_forward(x, w, b, p), 1e-5f);
  const Tensor r = random_tensor(conv_output_shape(x.shape(), w.shape(), p), 8);
  expect_close(conv_backward(blocked, w, r, p, true).dw, conv_backward(x, w, r, p, true).dw, 1e-4f);
}

TEST(Conv, RejectsMismatchedShapes) {
  Tensor x = random_tensor({1, 3, 5, 5}, 1);
  EXPECT_THROW(conv_forward(x, random_tensor({4, 2, 3, 3}, 2), Tensor(), {}),
               std::invalid_argument);
  EXPECT_THROW(conv_forward(x, random_tensor({4, 3, 3, 3}, 2), random_tensor({3}, 3), {}),
               std::invalid_argument);
  EXPECT_THROW(conv_forward(x, random_tensor({4, 3, 7, 7}, 2), Tensor(), {}),
               std::invalid_argument);
  EXPECT_THROW(conv_forward(x, random_tensor({4, 3, 3, 3}, 2), Tensor(), {.stride = {1}}),
               std::invalid_argument);
}

TEST(Linear, MatchesMatrixProductAndGradients) {
  Tensor x = random_tensor({3, 5}, 1), w = random_tensor({4, 5}, 2), b = random_tensor({4}, 3);
  const Tensor y = linear_forward(x, w, b);
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t o = 0; o < 4; ++o) {
      double acc = b.data()[o];
      for (int64_t f = 0; f < 5; ++f) acc += double(x.data()[n * 5 + f]) * w.data()[o * 5 + f];
      EXPECT_NEAR(y.data()[n * 4 + o], acc, 1e-5);
    }
  const Tensor r = random_tensor({3, 4}, 4);
  const ConvGrads g = linear_backward(x, w, r, true);
  auto f = [&] { return dot(r, linear_forward(x, w, b)); };
  expect_gradient_close("dx", x, g.dx, f);
  expect_gradient_close("dw", w, g.dw, f);
  expect_gradient_close("db", b, g.db, f);
}

TEST(Linear, FlattensSpatialInput) {
  Tensor x = random_tensor({2, 2, 3, 3}, 1), w = random_tensor({5, 18}, 2);
  const Tensor y = linear_forward(x, w, Tensor());
  EXPECT_EQ(y.shape(), (Shape{2, 5}));
  const ConvGrads g = linear_backward(x, w, random_tensor({2, 5}, 3), false);
  EXPECT_EQ(g.dx.shape(), x.shape());
}

// Weights in a blocked layout (as a checkpoint or another op might hand them over) give the
// plain weights' result, grouped or not: the op keeps its reordered copies alive while it runs.
TEST(Conv, BlockedWeightsGiveThePlainResult) {
  for (int64_t groups : {1, 2}) {
    const Tensor x = testing::random_tensor({1, 4, 10, 10}, 31);
    const Tensor w = testing::random_tensor({6, 4 / groups, 3, 3}, 32);
    const ConvParams p{.padding = {1, 1}, .groups = groups};
    const Tensor plain = conv_forward(x, w, Tensor(), p);
    const Tensor wb = w.to_layout(Layout::channel_blocked(w.shape(), 8));
    testing::expect_close(conv_forward(x, wb, Tensor(), p), plain, 1e-5f);
    const Tensor dy = testing::random_tensor(plain.shape(), 33);
    testing::expect_close(conv_backward(x, wb, dy, p, false).dx,
                          conv_backward(x, w, dy, p, false).dx, 1e-5f);
  }
}

}  // namespace
}  // namespace tessera
