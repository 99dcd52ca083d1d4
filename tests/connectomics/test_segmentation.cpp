// Watershed and agglomeration on constructed affinities, metrics against hand-computed values,
// affinity targets, label I/O and the synthetic EM generator.
#include <gtest/gtest.h>

#include <cmath>

#include "temp_dir.hpp"
#include "tessera/connectomics/affinities.hpp"
#include "tessera/connectomics/metrics.hpp"
#include "tessera/connectomics/segmentation.hpp"
#include "tessera/data/em_volume.hpp"
#include "tessera/io/region.hpp"

namespace tessera::connectomics {
namespace {

// Affinities of a volume cut into the given objects: 1 inside an object, `across` between
// two, and 0 from or to background (id 0).
Tensor perfect_affinities(const LabelVolume& l, float across = 0.f) {
  const AffinityTargets a = affinity_targets(l.ids, l.size, default_offsets());
  Tensor t = a.target.clone();
  const int64_t n = l.voxels();
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < n; ++i)
      if (a.mask.data()[c * n + i] > 0 && t.data()[c * n + i] == 0.f && l.ids[size_t(i)] != 0)
        t.data()[c * n + i] = across;
  return t;
}

// A 12 x 24 x 24 volume of four boxes (quadrants in y, x), all the way through z.
LabelVolume quadrants() {
  LabelVolume l{{12, 24, 24}, std::vector<uint64_t>(12 * 24 * 24), {}};
  for (int64_t z = 0; z < 12; ++z)
    for (int64_t y = 0; y < 24; ++y)
      for (int64_t x = 0; x < 24; ++x)
        l.ids[size_t((z * 24 + y) * 24 + x)] = 1 + (y >= 12 ? 2 : 0) + (x >= 12 ? 1 : 0);
  return l;
}

TEST(Affinities, TargetsAreOneWithinAnObjectAndMaskedOutside) {
  const LabelVolume l{{1, 1, 4}, {1, 1, 2, 0}, {}};
  const AffinityTargets a = affinity_targets(l.ids, l.size, {{0, 0, -1}, {0, 0, -2}});
  EXPECT_EQ(std::vector<float>(a.target.data(), a.target.data() + 4),
            (std::vector<float>{0, 1, 0, 0}));
  EXPECT_EQ(std::vector<float>(a.mask.data(), a.mask.data() + 4), (std::vector<float>{0, 1, 1, 1}));
  EXPECT_EQ(std::vector<float>(a.target.data() + 4, a.target.data() + 8),
            (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ(std::vector<float>(a.mask.data() + 4, a.mask.data() + 8),
            (std::vector<float>{0, 0, 1, 1}));
}

TEST(Watershed, PerfectAffinitiesGiveTheObjects) {
  const LabelVolume truth = quadrants();
  const Tensor aff = perfect_affinities(truth);
  const LabelVolume frags = watershed_fragments(boundary_map(aff), {});
  const auto segs = agglomerate(frags, aff, {0.5});
  const SegmentationScores s = evaluate_segmentation(segs[0], truth);
  EXPECT_NEAR(s.voi_split + s.voi_merge, 0.0, 1e-9);
  EXPECT_NEAR(s.adapted_rand_error, 0.0, 1e-9);
  EXPECT_EQ(*std::max_element(segs[0].ids.begin(), segs[0].ids.end()), 4u);
}

// Fragments of one object are joined when their shared face is above the threshold, objects
// stay apart while the affinity between them is below it.
TEST(Agglomeration, MergesByMeanAffinityAgainstTheThreshold) {
  LabelVolume frags = quadrants();  // four fragments ...
  LabelVolume truth = frags;        // ... of two objects: left (1, 3) and right (2, 4)
  for (uint64_t& id : truth.ids) id = id % 2 ? 1 : 2;
  Tensor aff = perfect_affinities(truth, 0.2f);  // 0.2 between left and right
  const auto segs = agglomerate(frags, aff, {0.9, 0.5, 0.1});
  auto count = [](const LabelVolume& l) { return *std::max_element(l.ids.begin(), l.ids.end()); };
  EXPECT_EQ(count(segs[0]), 2u);  // affinity 1 inside each object: merged even at 0.9
  EXPECT_EQ(count(segs[1]), 2u);
  EXPECT_EQ(count(segs[2]), 1u);  // 0.2 > 0.1: all one
  EXPECT_NEAR(evaluate_segmentation(segs[1], truth).adapted_rand_error, 0.0, 1e-9);
}

// Segments of the slab-streaming segmenter, read back from its in-memory output.
std::vector<LabelVolume> segment_by_slabs(const Tensor& aff, const Shape& size, int64_t slab,
                                          const std::vector<double>& thresholds) {
  TensorSource src(aff);
  std::vector<TensorSink> sinks;
  for (size_t k = 0; k < thresholds.size(); ++k) sinks.emplace_back(1, size);
  std::vector<VolumeSink*> outputs;
  for (TensorSink& s : sinks) outputs.push_back(&s);
  segment_volume(src, outputs, {.thresholds = thresholds, .slab = slab});
  std::vector<LabelVolume> out;
  for (TensorSink& s : sinks) {
    LabelVolume l{size, std::vector<uint64_t>(size_t(product(size))), {}};
    for (size_t i = 0; i < l.ids.size(); ++i) l.ids[i] = uint64_t(s.result().data()[i]);
    out.push_back(std::move(l));
  }
  return out;
}

// One slab is exactly the whole-volume pipeline; several slabs are stitched at their seams.
TEST(SegmentVolume, OneSlabIsTheWholePipelineAndSlabsAreStitched) {
  const LabelVolume truth = quadrants();
  const Tensor aff = perfect_affinities(truth);
  const auto whole = agglomerate(watershed_fragments(boundary_map(aff)), aff, {0.5});
  EXPECT_EQ(segment_by_slabs(aff, truth.size, 12, {0.5})[0].ids, whole[0].ids);
  for (int64_t slab : {3, 4, 5}) {
    const LabelVolume s = segment_by_slabs(aff, truth.size, slab, {0.5})[0];
    const SegmentationScores sc = evaluate_segmentation(s, truth);
    EXPECT_NEAR(sc.voi_split + sc.voi_merge, 0.0, 1e-9) << "slab " << slab;
    EXPECT_EQ(*std::max_element(s.ids.begin(), s.ids.end()), 4u);
  }
}

TEST(SegmentVolume, GeneratedCellsFromTheirTrueAffinitiesAcrossSlabs) {
  const data::EmVolume v = data::make_em_volume({.size = {24, 48, 48}, .cell_size = 16, .seed = 5});
  const LabelVolume truth{{24, 48, 48}, v.ids, {}};
  const Tensor aff = perfect_affinities(truth);
  const auto whole = segment_by_slabs(aff, truth.size, 24, {0.3, 0.7});
  const auto slabs = segment_by_slabs(aff, truth.size, 7, {0.3, 0.7});
  for (size_t k = 0; k < 2; ++k) {
    const double w = evaluate_segmentation(whole[k], truth).adapted_rand_error;
    const double s = evaluate_segmentation(slabs[k], truth).adapted_rand_error;
    EXPECT_LT(w, 0.01);
    EXPECT_LT(s, 0.02);  // 4 seams in 24 slices cost a little (0.008 -> 0.014 here)
  }
}

// Two truth objects of 2 voxels each; the segmentation joins them: VOI merge = 1 bit, split 0;
// pairs: sum p^2 = 16/16... computed by hand below.
TEST(Metrics, HandComputedCases) {
  const LabelVolume truth{{1, 1, 4}, {1, 1, 2, 2}, {}};
  const LabelVolume merged{{1, 1, 4}, {7, 7, 7, 7}, {}};
  SegmentationScores s = evaluate_segmentation(merged, truth);
  EXPECT_NEAR(s.voi_split, 0.0, 1e-12);
  EXPECT_NEAR(s.voi_merge, 1.0, 1e-12);
  // p_ij = {2, 2}: sum p^2 = 8; segment sizes {4}: 16; truth sizes {2, 2}: 8.
  // precision 8/16, recall 8/8: F = 2 * 0.5 * 1 / 1.5 = 2/3.
  EXPECT_NEAR(s.adapted_rand_error, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(s.cremi_score, std::sqrt(1.0 / 3.0), 1e-12);

  const LabelVolume split{{1, 1, 4}, {1, 2, 3, 3}, {}};
  s = evaluate_segmentation(split, truth);
  EXPECT_NEAR(s.voi_split, 0.5, 1e-12);  // object 1 cut in halves: 1 bit over half the voxels
  EXPECT_NEAR(s.voi_merge, 0.0, 1e-12);
  // p = {1, 1, 2}: 6; segments {1, 1, 2}: 6; truth {2, 2}: 8: precision 1, recall 0.75.
  EXPECT_NEAR(s.adapted_rand_error, 1 - 2 * 0.75 / 1.75, 1e-12);

  // Truth 0 is left out: a background voxel changes nothing.
  const LabelVolume truth0{{1, 1, 5}, {1, 1, 2, 2, 0}, {}};
  const LabelVolume split0{{1, 1, 5}, {1, 2, 3, 3, 9}, {}};
  EXPECT_NEAR(evaluate_segmentation(split0, truth0).voi_split, 0.5, 1e-12);
  EXPECT_EQ(evaluate_segmentation(split0, truth0).voxels, 4);
  EXPECT_THROW(evaluate_segmentation(split0, truth), std::invalid_argument);
}

TEST(EmVolume, CellsAreSeparatedByDarkMembranes) {
  const data::EmVolume v = data::make_em_volume({.size = {16, 48, 48}, .cell_size = 14, .seed = 3});
  ASSERT_GT(v.cells, 20);
  // Membranes (id 0) are darker on average than cells, and two different cells never touch.
  double wall = 0, inside = 0;
  int64_t nw = 0, ni = 0, touching = 0;
  for (int64_t z = 0; z < 16; ++z)
    for (int64_t y = 0; y < 48; ++y)
      for (int64_t x = 0; x < 48; ++x) {
        const int64_t i = (z * 48 + y) * 48 + x;
        const uint64_t id = v.ids[size_t(i)];
        (id == 0 ? wall : inside) += v.raw.data()[i];
        ++(id == 0 ? nw : ni);
        if (x > 0 && id && v.ids[size_t(i - 1)] && v.ids[size_t(i - 1)] != id) ++touching;
      }
  EXPECT_LT(wall / double(nw) + 0.2, inside / double(ni));
  EXPECT_EQ(touching, 0);
  EXPECT_GT(3 * ni, nw);  // 1.6-voxel half-width membranes around cells of 14 voxels
}

}  // namespace
}  // namespace tessera::connectomics
