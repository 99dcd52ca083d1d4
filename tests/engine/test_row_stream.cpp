// Streaming along the first axis: rows pushed in chunks of any size give the whole-input
// output row for row, for every kind of layer, and the rows held between pushes do not grow
// with the length of the axis.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/shape_ops.hpp"
#include "tessera/tile/row_stream.hpp"

namespace tessera {
namespace {

using testing::random_tensor;

std::unique_ptr<Conv> conv(int64_t in, int64_t out, Shape k, ConvOptions o = {}) {
  o.in_channels = in;
  o.out_channels = out;
  o.kernel = std::move(k);
  return std::make_unique<Conv>(o);
}

// Pushes x's rows along `axis` in chunks cycling through `chunks` and joins what comes out.
Tensor stream_rows(Module& net, const Tensor& x, const std::vector<int64_t>& chunks, int axis = 0) {
  RowStream stream(net, x.spatial_dims(), axis);
  std::vector<Tensor> out;
  const size_t dim = size_t(axis) + 2;
  const int64_t rows = x.dim(int(dim));
  for (int64_t r = 0, i = 0; r < rows; ++i) {
    const int64_t take = std::min(chunks[size_t(i) % chunks.size()], rows - r);
    Shape offsets(x.shape().size(), 0), shape = x.shape();
    offsets[dim] = r;
    shape[dim] = take;
    r += take;
    const Tensor y = stream.push(crop(x, offsets, shape), r == rows);
    if (y.defined()) out.push_back(y);
  }
  EXPECT_TRUE(stream.done());
  return out.size() == 1 ? out[0] : concat(out, int(dim));
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  if (a.shape() != b.shape()) return INFINITY;
  const auto va = a.to_vector(), vb = b.to_vector();
  float m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::abs(va[i] - vb[i]));
  return m;
}

void expect_stream_equals_whole(Module& net, const Shape& xs, int axis = 0) {
  const Tensor x = random_tensor(xs, 3);
  const Tensor whole = net.forward(x, Mode::eval);
  for (const std::vector<int64_t>& chunks :
       std::vector<std::vector<int64_t>>{{1}, {2, 3}, {5}, {8}, {xs[size_t(axis) + 2]}}) {
    const Tensor streamed = stream_rows(net, x, chunks, axis);
    EXPECT_LE(max_abs_diff(streamed, whole), 1e-5f)
        << "axis " << axis << ", chunks of " << to_string(chunks);
  }
}

TEST(RowStream, StridedPaddedAndTransposedLayers) {
  // Max pooling with padding (which is not zero padding), dilation, a transposed convolution
  // with padding and output padding: the output has the input's size again.
  Sequential s;
  s.add(conv(2, 4, {3, 3}, {.padding = {1, 1}}));
  s.add(std::make_unique<Pool>(PoolParams{.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}));
  s.add(conv(4, 4, {3, 3}, {.padding = {2, 2}, .dilation = {2, 2}}));
  s.add(std::make_unique<Act>(Activation::tanh));
  s.add(std::make_unique<Conv>(ConvOptions{.in_channels = 4,
                                           .out_channels = 3,
                                           .kernel = {3, 3},
                                           .stride = {2, 2},
                                           .padding = {1, 1},
                                           .output_padding = {1, 1}},
                               true));
  s.initialize(5);
  expect_stream_equals_whole(s, {1, 2, 30, 17});
}

TEST(RowStream, AnyAxis) {
  // Anisotropic kernels and strides, so that streaming along the wrong axis would show.
  Sequential s;
  s.add(conv(1, 3, {3, 5, 1}, {.padding = {1, 2, 0}}));
  s.add(std::make_unique<Pool>(PoolParams{.kernel = {1, 2, 2}}));
  s.add(conv(3, 3, {1, 3, 3}, {.padding = {0, 1, 1}, .dilation = {1, 2, 1}}));
  s.add(std::make_unique<Upsample>(UpsampleMode::nearest, Shape{1, 2, 2}));
  s.initialize(12);
  for (int axis : {0, 1, 2}) expect_stream_equals_whole(s, {1, 1, 9, 14, 12}, axis);
  EXPECT_THROW(RowStream(s, 3, 3), std::invalid_argument);
}

TEST(RowStream, StridedConvolutionAndLinearUpsampling) {
  Sequential s;
  s.add(conv(1, 4, {5, 3}, {.stride = {2, 1}, .padding = {2, 1}}));
  s.add(std::make_unique<Upsample>(UpsampleMode::linear, Shape{2, 1}));
  s.add(conv(4, 2, {3, 3}, {.padding = {1, 1}}));
  s.add(std::make_unique<Pool>(PoolParams{.kind = PoolKind::avg, .kernel = {2, 2}}));
  s.add(std::make_unique<Upsample>(UpsampleMode::nearest, Shape{2, 2}));
  s.initialize(6);
  expect_stream_equals_whole(s, {1, 1, 36, 20});
}

TEST(RowStream, SkipsAndJoins) {
  // A residual add and a concatenation whose inputs lag each other by different amounts.
  Graph g;
  const int a = g.add(conv(1, 3, {3, 3}, {.padding = {1, 1}}), Graph::input);
  const int b = g.add(conv(3, 3, {7, 3}, {.padding = {3, 1}}), a);
  const int sum = g.add(std::make_unique<Add>(), {a, b});
  const int cat = g.add(std::make_unique<Concat>(1), {sum, a});
  g.add(conv(6, 2, {1, 1}), cat);
  g.initialize(7);
  expect_stream_equals_whole(g, {1, 1, 23, 11});
}

TEST(RowStream, UNets3DAndReversible) {
  auto net = make_unet({.dims = 3, .channels = {4, 8}, .seed = 8});
  expect_stream_equals_whole(*net, {1, 1, 16, 10, 6});
  auto rev = make_unet({.dims = 2, .channels = {4, 8}, .reversible = true, .seed = 9});
  expect_stream_equals_whole(*rev, {1, 1, 44, 20});
}

TEST(RowStream, HeldRowsDoNotGrowWithTheAxis) {
  auto net = make_unet({.dims = 2, .channels = {4, 8, 16}, .seed = 10});
  RowStream stream(*net, 2);
  const std::size_t base = memory_stats().current_bytes;
  std::size_t held_early = 0, held_late = 0;
  for (int64_t chunk = 0; chunk < 64; ++chunk) {
    stream.push(random_tensor({1, 1, 8, 96}, uint64_t(chunk)), chunk == 63);
    if (chunk == 12) held_early = memory_stats().current_bytes - base;
    if (chunk == 60) held_late = memory_stats().current_bytes - base;
  }
  EXPECT_GT(held_early, 0u);
  EXPECT_EQ(held_late, held_early);
  EXPECT_EQ(stream.rows_out(), 64 * 8);
  EXPECT_THROW(stream.push(random_tensor({1, 1, 8, 96}, 1), true), std::logic_error);
}

TEST(RowStream, RefusesInputsThatDoNotContinue) {
  auto net = make_unet({.dims = 2, .channels = {4}, .seed = 11});
  RowStream stream(*net, 2);
  stream.push(random_tensor({1, 1, 4, 16}, 1), false);
  EXPECT_THROW(stream.push(random_tensor({1, 1, 4, 17}, 2), false), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
