// Receptive fields from module geometry, and exact tiled inference: tiled output equals
// whole-input output for 2D and 3D U-Nets, sizes that are not multiples of the tile, odd
// halos and several budgets.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.hpp"
#include "run_tiles.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/elementwise.hpp"
#include "tessera/tile/tiled.hpp"

namespace tessera {
namespace {

using testing::KeptSink;
using testing::random_tensor;
using testing::run_tiles;

std::unique_ptr<Conv> conv(int64_t in, int64_t out, Shape k, Shape pad, Shape dil = {}) {
  return std::make_unique<Conv>(ConvOptions{
      .in_channels = in, .out_channels = out, .kernel = k, .padding = pad, .dilation = dil});
}

TEST(ReceptiveField, SingleLayers) {
  Sequential s;
  s.add(conv(1, 1, {3, 3}, {1, 1}));
  EXPECT_EQ(receptive_field(s, 2).radius, (Shape{1, 1}));
  EXPECT_EQ(receptive_field(s, 2).stride, (Shape{1, 1}));

  Sequential d;
  d.add(conv(1, 1, {5, 3}, {4, 1}, {2, 1}));  // reach (5-1)*2/2 = 4 rows, 1 column
  EXPECT_EQ(receptive_field(d, 2).radius, (Shape{4, 1}));

  // pool 2 (reach 1), then a 3x3 conv at half resolution reaches 1 coarse = 2 fine voxels.
  Sequential p;
  p.add(std::make_unique<Pool>(PoolParams{.kernel = {2, 2}}));
  p.add(conv(1, 1, {3, 3}, {1, 1}));
  const ReceptiveField f = receptive_field(p, 2);
  EXPECT_EQ(f.radius, (Shape{3, 3}));
  EXPECT_EQ(f.stride, (Shape{2, 2}));
  EXPECT_EQ(f.halo(), (Shape{4, 4}));
}

TEST(ReceptiveField, UNetStrideAndHalo) {
  auto net = make_unet({.dims = 3, .channels = {4, 8, 16}});
  const ReceptiveField f = receptive_field(*net, 3);
  EXPECT_EQ(f.stride, (Shape{4, 4, 4}));
  // At least the reach of the deepest path: 2 convs at each of 3 resolutions on the way down.
  for (int64_t r : f.radius) EXPECT_GE(r, 2 + 4 + 8);
  for (size_t a = 0; a < 3; ++a) EXPECT_EQ(f.halo()[a] % 4, 0);
}

TEST(ReceptiveField, GlobalLayersCannotBeTiled) {
  Sequential s;
  s.add(std::make_unique<Flatten>());
  EXPECT_THROW(receptive_field(s, 2), std::invalid_argument);
  // Group norm's statistics cover the whole input: a tile would normalise differently.
  auto gn = make_unet({.dims = 2, .channels = {4, 8}, .norm = UNetOptions::Norm::group});
  EXPECT_THROW(receptive_field(*gn, 2), std::invalid_argument);
  // Skips cropped to the reference's size (unpadded U-Nets) depend on the whole input's size.
  auto unpadded = make_unet({.dims = 2, .channels = {4, 8}, .padded = false});
  EXPECT_THROW(receptive_field(*unpadded, 2), std::invalid_argument);
}

// Random running statistics, so eval-mode batch norm is not the identity.
void randomize_buffers(Module& m, uint64_t seed) {
  for (auto& [name, t] : m.buffers()) {
    const bool var = name.find("var") != std::string::npos;
    *t = random_tensor(t->shape(), seed++, var ? 0.5f : -0.5f, var ? 2.f : 0.5f);
  }
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const auto va = a.to_vector(), vb = b.to_vector();
  float m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::abs(va[i] - vb[i]));
  return m;
}

void expect_tiled_equals_whole(Module& net, const Shape& xs,
                               const std::vector<TileOptions>& options) {
  const Tensor x = random_tensor(xs, 41);
  const Tensor whole = run_whole(net, x);
  for (const TileOptions& o : options) {
    TileReport r;
    const Tensor tiled = run_tiles(net, x, o, &r);
    EXPECT_LE(max_abs_diff(tiled, whole), 1e-5f)
        << "tile " << to_string(r.plan.core) << " (" << r.plan.tiles << " tiles)";
    EXPECT_GT(r.plan.tiles, 1) << "the case should need several tiles";
  }
}

TEST(Tiling, UNet2DEqualsWholeInput) {
  auto net = make_unet(
      {.dims = 2, .in_channels = 2, .out_channels = 3, .channels = {4, 8, 16}, .seed = 5});
  randomize_buffers(*net, 6);
  expect_tiled_equals_whole(
      *net, {1, 2, 97, 113},
      {{.tile = {8, 8}}, {.tile = {12, 20}}, {.tile = {4, 44}}, {.tile = {56, 40}}});
}

TEST(Tiling, UNet3DEqualsWholeInput) {
  auto net = make_unet({.dims = 3, .channels = {4, 8}, .seed = 7});
  randomize_buffers(*net, 8);
  expect_tiled_equals_whole(*net, {1, 1, 29, 33, 27}, {{.tile = {4, 6, 4}}, {.tile = {8, 12, 8}}});
}

TEST(Tiling, OddHalosAndDilation) {
  // Radius 1 + 6 + 2 = 9 per axis (odd), stride 1.
  Sequential s;
  s.add(conv(1, 4, {3, 3}, {1, 1}));
  s.add(std::make_unique<Act>(Activation::tanh));
  s.add(conv(4, 4, {5, 5}, {6, 6}, {3, 3}));
  s.add(std::make_unique<Act>(Activation::relu));
  s.add(conv(4, 1, {5, 5}, {2, 2}));
  s.initialize(8);
  EXPECT_EQ(receptive_field(s, 2).radius, (Shape{9, 9}));
  expect_tiled_equals_whole(s, {1, 1, 41, 29}, {{.tile = {7, 5}}, {.tile = {16, 16}}});
}

TEST(Tiling, ReversibleUNetEqualsWholeInput) {
  auto net = make_unet({.dims = 2, .channels = {4, 8}, .reversible = true, .seed = 9});
  randomize_buffers(*net, 10);
  expect_tiled_equals_whole(*net, {1, 1, 150, 134}, {{.tile = {12, 8}}, {.tile = {40, 32}}});
}

TEST(Tiling, ThinStackStreamsAcrossItsSlices) {
  // A few slices of large images: streaming along z would leave columns with halos across y
  // and x; along y the whole of z and x fits one column.
  auto net = make_unet({.dims = 3, .channels = {4, 8}, .seed = 15});
  randomize_buffers(*net, 16);
  const Tensor x = random_tensor({1, 1, 6, 120, 44}, 17);
  TensorSource in(x);
  const TilePlan p = plan_tiles(*net, in.info(), {.max_memory = std::size_t(2) << 20});
  EXPECT_NE(p.axis, 0);
  EXPECT_EQ(p.columns, 1);
  TileReport r;
  EXPECT_LE(max_abs_diff(run_tiles(*net, x, {.max_memory = std::size_t(2) << 20}, &r),
                         run_whole(*net, x)),
            1e-5f);
  EXPECT_GT(r.plan.tiles, 1);
}

// A container the engine has never seen, defined here: y = x + body(x), with body a chain of
// convolutions. It states its topology, so the tiler computes its reach and streams it node by
// node without knowing its type.
class Residual final : public UnaryModule {
 public:
  explicit Residual(std::unique_ptr<Module> body) : body_(std::move(body)) {}
  std::string type() const override { return "test_residual"; }
  nlohmann::json config() const override { return {{"type", type()}}; }
  Topology topology() override {
    Topology t;
    t.runs_by_node = true;
    t.nodes = {{body_.get(), {Topology::input}, "body"}, {&join_, {Topology::input, 0}, "join"}};
    return t;
  }

 protected:
  Tensor forward_one(const Tensor& x, Mode mode) override {
    return join_.forward({x, body_->forward(x, mode)}, mode);
  }
  Tensor backward_input(const Tensor& dy) override {
    const std::vector<Tensor> g = join_.backward(dy);
    return add(g[0], body_->backward_one(g[1]));
  }

 private:
  std::unique_ptr<Module> body_;
  Add join_;
};

TEST(Tiling, ForeignContainerEqualsWholeInput) {
  auto body = std::make_unique<Sequential>();
  body->add(conv(2, 4, {3, 3}, {1, 1}));
  body->add(std::make_unique<Act>(Activation::tanh));
  body->add(conv(4, 2, {5, 5}, {2, 2}));
  Sequential net;
  net.add(std::make_unique<Residual>(std::move(body)));
  net.add(conv(2, 1, {3, 3}, {1, 1}));
  net.initialize(21);
  EXPECT_EQ(receptive_field(net, 2).radius, (Shape{4, 4}));  // 1 + 2 inside, 1 after
  expect_tiled_equals_whole(net, {1, 2, 53, 47}, {{.tile = {6, 8}}, {.tile = {16, 12}}});
}

TEST(Tiling, NonFiniteInputIsAnError) {
  auto net = make_unet({.dims = 2, .channels = {4, 8}, .seed = 13});
  Tensor x = random_tensor({1, 1, 40, 40}, 14);
  x.data()[3 * 40 + 31] = std::nanf("");
  EXPECT_THROW(run_whole(*net, x), std::invalid_argument);
  EXPECT_THROW(run_tiles(*net, x, {.tile = {8, 8}}), std::invalid_argument);
}

TEST(Tiling, BudgetsChooseTheTileAndBoundMemory) {
  auto net = make_unet({.dims = 2, .channels = {8, 16, 32}, .seed = 11});
  randomize_buffers(*net, 12);
  const Tensor x = random_tensor({1, 1, 150, 700}, 13);
  const Tensor whole = run_whole(*net, x);
  TensorSource in(x);
  int64_t previous_section = 0;
  for (std::size_t budget : {std::size_t(1) << 20, std::size_t(3) << 20}) {
    // The result is held outside the executor, so its peak is the executor's working set.
    auto result = std::make_shared<TensorSink>(1, in.info().size);
    const TileReport r =
        run_tiled(*net, in, [&](int64_t) { return std::make_unique<KeptSink>(result); },
                  {.max_memory = budget});
    EXPECT_LE(max_abs_diff(result->result(), whole), 1e-5f) << budget;
    EXPECT_LE(r.plan.working_bytes, budget);
    EXPECT_LE(r.peak_bytes, budget + budget / 10) << "planned " << r.plan.working_bytes;
    EXPECT_GT(r.plan.tiles, 1);
    // A larger budget buys wider columns (less halo computed twice).
    const int64_t section = r.plan.input[1];
    EXPECT_GT(section, previous_section);
    previous_section = section;
  }
  EXPECT_THROW(run_tiles(*net, x, {.max_memory = 1 << 10}), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
