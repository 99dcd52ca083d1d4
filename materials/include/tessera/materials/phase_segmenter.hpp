#pragma once
// The weakly supervised phase segmenter: a 2D U-Net gives a score map per phase at the input's
// resolution; trained only on presence tags, each tagged region's scores are averaged (global
// average pooling: the class activation map, Zhou et al. 2016, is the map before the pooling)
// and compared with the tags by binary cross-entropy. A phase map is the phase of highest score
// at each pixel. Why this route: tile tags say which phases a region holds, and a network whose
// pooled scores must reproduce them over many regions learns where each phase is; the map
// comes out of the same network, at the input's resolution, so the exact tiled executor runs
// micrographs of any size with the same result as a whole-image run.
//
//   PhaseSegmenter s = train_phase_segmenter(regions, phases, {.steps = 600});
//   cv::Mat labels = segment_micrograph(s, micrograph);   // CV_8U, a phase index per pixel
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/materials/micrograph.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/tile/tiled.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::materials {

// A region of a micrograph and the phases present in it.
struct TaggedRegion {
  cv::Mat pixels;             // CV_32F, 0..1, at the common pixel size
  std::vector<bool> present;  // one per phase
  std::string name{};         // image and region, for messages
};

struct SegmenterTrainOptions {
  int64_t patch = 96;  // crop edge, a multiple of 8; regions smaller than it are refused
  int64_t batch = 16;
  int steps = 600;
  std::vector<int64_t> channels = {16, 32, 64, 64};
  double lr = 2e-3;      // Adam
  double sharpness = 0;  // of the pooling: 0 the mean, r > 0 log-sum-exp (pooled_tag_loss)
  // A phase that is whatever the others are not (the matrix of a steel): its tags are not
  // learnt, and a pixel is of it where no other phase scores above 0. -1: none.
  int background = -1;
  // Steps of the refinement, 0 for none: the weak network's maps, each pixel held to the phases
  // its region is tagged with, become pseudo-masks on which a second U-Net learns pixel by pixel
  // (softmax cross-entropy); it replaces the first.
  int refine_steps = 0;
  uint64_t seed = 0;
  DataType precision = DataType::f32;  // the convolutions' (ConvParams::compute)
  std::function<void(int step, float loss)> progress{};
  RunSettings run{};
};

struct PhaseSegmenter {
  std::unique_ptr<Module> unet;
  std::vector<std::string> phases;
  double um_per_px = 0;  // the common pixel size it was trained at; 0: images as they are
  int64_t steps = 0;
  int64_t patch = 96;      // the crops it was trained on: the window its presence is judged over
  int background = -1;     // the background phase (SegmenterTrainOptions), or -1
  bool pixelwise = false;  // refined: trained on pseudo-masks, its maps read pixel by pixel
};

// The pseudo-mask of a tagged region (CV_8U): at each pixel the phase the segmenter scores
// highest among those the region is tagged with (among all when it is tagged with none).
cv::Mat pseudo_mask(PhaseSegmenter& s, const TaggedRegion& r);

// The training loss: binary cross-entropy of each score map's pooled value (scores [B,K,H,W])
// against the tags [B,K,1,1], and its gradient. `sharpness` 0: the mean (the pooled gradient
// spread evenly over the H x W pixels); r > 0: log-sum-exp pooling (1/r) log mean exp(r s),
// each pixel's share of the gradient its softmax weight.
// `background` >= 0: that phase's map is left out of the loss (its gradient 0).
LossResult pooled_tag_loss(const Tensor& scores, const Tensor& tags, double sharpness = 0,
                           int background = -1);

// Throws SettingError("patch") for a region smaller than the crops, std::invalid_argument for no
// regions or tags of another length than `phases`.
PhaseSegmenter train_phase_segmenter(const std::vector<TaggedRegion>& regions,
                                     std::vector<std::string> phases,
                                     const SegmenterTrainOptions& o);

void save_phase_segmenter(const std::string& path, PhaseSegmenter& s);
// Throws std::runtime_error when the file is not a phase segmenter.
PhaseSegmenter load_phase_segmenter(const std::string& path);

struct SegmentOptions {
  TileOptions tile{};  // tiles and memory budget of the tiled executor
  bool whole = false;  // one pass over the whole image instead (tests and comparisons)
  // A pixel takes the best-scoring phase among those the network finds present (mean score
  // above 0, as in training) in the crop-sized window around it; false: among all phases.
  bool presence = true;
  DataType precision = DataType::f32;  // the network's convolutions'
  Device device = Device::cpu();       // where the network computes
};

// The score maps [1, phases, H, W] of a micrograph already at the segmenter's pixel size, and
// the phase map (CV_8U) from them: at each pixel the best-scoring phase among those whose mean
// score over the `window` x `window` around it is above 0 (present, as the training judged
// regions), or among all when none is or `window` <= 1. A `background` phase scores 0
// everywhere and is always present: a pixel is of it unless another phase scores above 0.
Tensor phase_scores(PhaseSegmenter& s, const cv::Mat& pixels, const SegmentOptions& o = {});
cv::Mat phase_map(const Tensor& scores, int window = 0, int background = -1);

// The phase map at the micrograph's own size: resampled to the segmenter's pixel size (when
// both are known), segmented, and brought back by nearest neighbour.
cv::Mat segment_micrograph(PhaseSegmenter& s, const Micrograph& m, const SegmentOptions& o = {});

}  // namespace tessera::materials
