// The affinity network's training loop and prediction wrapper on a small generated volume.
#include <gtest/gtest.h>

#include <cmath>

#include "temp_dir.hpp"
#include "tessera/connectomics/affinity_model.hpp"
#include "tessera/data/em_volume.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/tile/tiled.hpp"

namespace tessera::connectomics {
namespace {

using AffinityModelTest = tessera::testing::TempDirTest;

TEST_F(AffinityModelTest, TrainingLowersTheLossAndTheSavedModelPredictsTheSame) {
  const data::EmVolume v = data::make_em_volume({.size = {8, 32, 32}, .cell_size = 12, .seed = 4});
  const LabelVolume labels{{8, 32, 32}, v.ids, {}};
  std::vector<float> losses;
  AffinityModel m = train_affinity_model(v.raw, labels,
                                         {.patch = {8, 32, 32},
                                          .batch = 2,
                                          .steps = 60,
                                          .channels = {4, 8},
                                          .progress = [&](int, float l) { losses.push_back(l); }});
  ASSERT_GE(losses.size(), 2u);
  EXPECT_LT(losses.back(), 0.8f * losses.front());
  EXPECT_NEAR(m.mean, 0.5, 0.3);

  save_affinity_model(path("m.h5"), m);
  AffinityModel back = load_affinity_model(path("m.h5"));
  EXPECT_EQ(back.offsets.size(), default_offsets().size());
  EXPECT_DOUBLE_EQ(back.mean, m.mean);
  EXPECT_DOUBLE_EQ(back.sd, m.sd);
  auto a = prediction_network(std::move(m)), b = prediction_network(std::move(back));
  const Tensor pa = run_whole(*a, v.raw).to_plain(), pb = run_whole(*b, v.raw).to_plain();
  ASSERT_EQ(pa.shape(), (Shape{1, 8, 8, 32, 32}));
  for (int64_t i = 0; i < pa.numel(); ++i) {
    ASSERT_GE(pa.data()[i], 0.f);
    ASSERT_LE(pa.data()[i], 1.f);
    ASSERT_EQ(pa.data()[i], pb.data()[i]);
  }
}

TEST_F(AffinityModelTest, RefusesMismatchedOrBrokenInputs) {
  const data::EmVolume v = data::make_em_volume({.size = {8, 16, 16}, .cell_size = 8, .seed = 1});
  const LabelVolume wrong{{8, 16, 12}, std::vector<uint64_t>(8 * 16 * 12, 1), {}};
  EXPECT_THROW(train_affinity_model(v.raw, wrong, {.steps = 1}), std::invalid_argument);
  Tensor nan = v.raw.clone();
  nan.data()[5] = NAN;
  EXPECT_THROW(train_affinity_model(nan, {{8, 16, 16}, v.ids, {}}, {.steps = 1}),
               std::invalid_argument);
  const LabelVolume tiny{{2, 16, 16}, std::vector<uint64_t>(2 * 16 * 16, 1), {}};
  EXPECT_THROW(train_affinity_model(Tensor::zeros({1, 1, 2, 16, 16}), tiny, {.steps = 1}),
               std::invalid_argument);
}

}  // namespace
}  // namespace tessera::connectomics
