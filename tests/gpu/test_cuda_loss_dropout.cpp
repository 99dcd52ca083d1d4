// Losses and dropout on the GPU against the CPU (labelled gpu): every loss's value and gradient
// with the options the CPU takes, 2D and 3D, odd and multi-block sizes; the same data errors; and
// dropout masks equal to the CPU's for the same seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "tessera/ops/dropout.hpp"
#include "tessera/ops/loss.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;

namespace {

using LossFn = std::function<LossResult(const Tensor&, const Tensor&, const LossOptions&)>;

// Odd channel counts, a [N,F] shape, 2D and 3D, and one that needs more blocks than a sum
// launches (so the kernels' grid-stride loops and the dice chunks are exercised).
const std::vector<Shape> kShapes = {{2, 3, 5, 7},  {2, 1, 3, 4, 5}, {3, 8, 9, 11},
                                    {1, 12, 6, 5}, {5, 12},         {2, 3, 16, 64, 64}};

// 0/1 mask with roughly half the elements kept.
Tensor random_mask(const Shape& shape, uint64_t seed) {
  Tensor m = random_tensor(shape, seed);
  for (int64_t i = 0; i < m.numel(); ++i) m.data()[i] = m.data()[i] > 0 ? 1.f : 0.f;
  return m;
}

// No options, weight, mask, both, and a mask that excludes everything.
std::vector<LossOptions> option_variants(const Shape& shape, bool weighted) {
  std::vector<LossOptions> v = {{}, {.weight = {}, .mask = random_mask(shape, 31)}};
  v.push_back({.weight = {}, .mask = Tensor::zeros(shape)});
  if (weighted) {
    v.push_back({.weight = random_tensor(shape, 32, 0.5f, 2.f), .mask = {}});
    v.push_back({.weight = random_tensor(shape, 33, 0.5f, 2.f), .mask = random_mask(shape, 34)});
  }
  return v;
}

LossOptions on_gpu(const LossOptions& o) {
  return {.weight = o.weight.defined() ? o.weight.to(kGpu) : Tensor(),
          .mask = o.mask.defined() ? o.mask.to(kGpu) : Tensor()};
}

// The loss of (x, t, o) on both devices: values within 1e-5 relative, gradients within 1e-4.
void expect_same_loss(const LossFn& loss, const Tensor& x, const Tensor& t, const LossOptions& o,
                      const std::string& what) {
  const LossResult cpu = loss(x, t, o);
  const LossResult gpu = loss(x.to(kGpu), t.to(kGpu), on_gpu(o));
  EXPECT_NEAR(gpu.value, cpu.value, 1e-5 * std::abs(cpu.value) + 1e-9) << what;
  EXPECT_GPU_NEAR(gpu.grad, cpu.grad, 1e-4) << what;
}

std::string variant_name(const std::string& loss, const Shape& s, const LossOptions& o) {
  return loss + " " + to_string(s) + (o.weight.defined() ? " weighted" : "") +
         (o.mask.defined() ? " masked" : "");
}

// Class indices in [0, classes) with every fifth label -1 (ignored), shape [N,1,*S].
Tensor random_labels(Shape shape, int64_t classes, uint64_t seed) {
  shape[1] = 1;
  Tensor l = random_tensor(shape, seed, 0.f, float(classes));
  for (int64_t i = 0; i < l.numel(); ++i)
    l.data()[i] = i % 5 == 4 ? -1.f : std::min(std::floor(l.data()[i]), float(classes - 1));
  return l;
}

// A heatmap in [0, 1) with every seventh element an object's centre (exactly 1).
Tensor heatmap(const Shape& shape, uint64_t seed) {
  Tensor t = random_tensor(shape, seed, 0.f, 1.f);
  for (int64_t i = 0; i < t.numel(); ++i)
    if (i % 7 == 3) t.data()[i] = 1.f;
  return t;
}

// The message of the invalid_argument that `f` throws, or "" when it throws none.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CudaLoss, PointLossesMatchTheCpu) {
  REQUIRE_GPU();
  const std::vector<std::pair<std::string, LossFn>> losses = {
      {"mse", mse_loss}, {"l1", l1_loss}, {"bce", bce_with_logits_loss}};
  for (const Shape& s : kShapes)
    for (const auto& [name, loss] : losses) {
      const Tensor x = random_tensor(s, 1, -3.f, 3.f);
      // bce takes targets in [0, 1]; the others any.
      const Tensor t = name == "bce" ? random_tensor(s, 2, 0.f, 1.f) : random_tensor(s, 2);
      for (const LossOptions& o : option_variants(s, true))
        expect_same_loss(loss, x, t, o, variant_name(name, s, o));
    }
}

TEST(CudaLoss, SoftmaxCrossEntropyMatchesTheCpu) {
  REQUIRE_GPU();
  std::vector<Shape> shapes = kShapes;
  shapes.push_back({3, 1, 4, 5});  // one class: zero loss and gradient
  for (const Shape& s : shapes) {
    const Tensor z = random_tensor(s, 3, -4.f, 4.f), labels = random_labels(s, s[1], 4);
    for (const LossOptions& o : option_variants(labels.shape(), true))
      expect_same_loss(softmax_cross_entropy_loss, z, labels, o,
                       variant_name("softmax_cross_entropy", s, o));
  }
}

TEST(CudaLoss, CentreFocalMatchesTheCpu) {
  REQUIRE_GPU();
  for (const Shape& s : kShapes) {
    const Tensor z = random_tensor(s, 5, -4.f, 4.f), t = heatmap(s, 6);
    for (const LossOptions& o : option_variants(s, false)) {
      expect_same_loss([](const Tensor& a, const Tensor& b,
                          const LossOptions& p) { return centre_focal_loss(a, b, p); },
                       z, t, o, variant_name("centre_focal", s, o));
      expect_same_loss([](const Tensor& a, const Tensor& b,
                          const LossOptions& p) { return centre_focal_loss(a, b, p, 1.5f, 3.f); },
                       z, t, o, variant_name("centre_focal alpha 1.5 beta 3", s, o));
    }
  }
}

TEST(CudaLoss, DiceMatchesTheCpu) {
  REQUIRE_GPU();
  for (const Shape& s : kShapes) {
    const Tensor z = random_tensor(s, 7, -3.f, 3.f), t = random_mask(s, 8);
    for (const LossOptions& o : option_variants(s, true))
      for (const float smooth : {1.f, 0.f})
        expect_same_loss([smooth](const Tensor& a, const Tensor& b,
                                  const LossOptions& p) { return dice_loss(a, b, p, smooth); },
                         z, t, o, variant_name("dice smooth " + std::to_string(smooth), s, o));
  }
}

TEST(CudaLoss, DiceScoresAFullyMaskedPairZeroAsTheCpuDoes) {
  REQUIRE_GPU();
  const Shape s = {2, 3, 4, 5};
  const Tensor z = random_tensor(s, 9), t = random_mask(s, 10);
  Tensor mask = random_mask(s, 11);
  for (int64_t i = 0; i < 20; ++i) mask.data()[i] = 0.f;  // pair (0, 0): nothing to score
  expect_same_loss([](const Tensor& a, const Tensor& b,
                      const LossOptions& p) { return dice_loss(a, b, p, 0.f); },
                   z, t, {.weight = {}, .mask = mask}, "dice with a fully masked pair");
}

TEST(CudaLoss, RejectsBadTargetsWithTheCpuMessages) {
  REQUIRE_GPU();
  const Shape s = {2, 3, 4, 5};
  const Tensor x = random_tensor(s, 12);
  Tensor t = random_tensor(s, 13, 0.f, 1.f);
  t.data()[37] = std::nanf("");
  t.data()[90] = std::nanf("");
  const std::vector<std::pair<std::string, LossFn>> losses = {
      {"mse", mse_loss},
      {"l1", l1_loss},
      {"bce", bce_with_logits_loss},
      {"focal", [](const Tensor& a, const Tensor& b,
                   const LossOptions& o) { return centre_focal_loss(a, b, o); }},
      {"dice",
       [](const Tensor& a, const Tensor& b, const LossOptions& o) { return dice_loss(a, b, o); }}};
  for (const auto& [name, loss] : losses) {
    const std::string cpu = error_of([&] { loss(x, t, {}); });
    EXPECT_NE(cpu, "") << name;
    EXPECT_EQ(error_of([&] { loss(x.to(kGpu), t.to(kGpu), {}); }), cpu) << name;
  }

  Tensor labels = random_labels(s, 3, 14);
  labels.data()[11] = 2.5f;
  labels.data()[30] = 3.f;
  const std::string cpu = error_of([&] { softmax_cross_entropy_loss(x, labels); });
  EXPECT_NE(cpu, "");
  EXPECT_EQ(error_of([&] { softmax_cross_entropy_loss(x.to(kGpu), labels.to(kGpu)); }), cpu);
}

TEST(CudaDropout, SameMaskAndGradientAsTheCpu) {
  REQUIRE_GPU();
  const std::vector<Shape> shapes = {{2, 3, 17, 19}, {1, 1, 5, 6, 7}, {4, 8, 64, 64}, {3, 12}};
  for (const Shape& s : shapes)
    for (const float p : {0.f, 0.3f, 0.5f, 0.9f})
      for (const uint64_t seed : {uint64_t{1}, uint64_t{42}, (uint64_t{1} << 40) + 3}) {
        const std::string what =
            to_string(s) + " p " + std::to_string(p) + " seed " + std::to_string(seed);
        const Tensor x = random_tensor(s, 15), dy = random_tensor(s, 16);
        const DropoutResult cpu = dropout_forward(x, p, seed);
        const DropoutResult gpu = dropout_forward(x.to(kGpu), p, seed);
        // The same hash and the same float products: bit-equal, not just close.
        EXPECT_EQ(gpu.mask.to_vector(), cpu.mask.to_vector()) << what;
        EXPECT_EQ(gpu.y.to_vector(), cpu.y.to_vector()) << what;
        EXPECT_EQ(dropout_backward(dy.to(kGpu), gpu.mask).to_vector(),
                  dropout_backward(dy, cpu.mask).to_vector())
            << what;
      }
}
