#pragma once
// The affinity network: a 3D U-Net from raw EM to one affinity per offset, its training on
// augmented random crops, and its prediction by tiles.
//
//   AffinityTraining t = train_affinity_model(raw, labels, {.steps = 500});
//   save_affinity_model("aff.h5", t);
//   auto net = load_affinity_model("aff.h5");  // normalisation in front, sigmoid behind
//   run_tiled(*net.network, *source, sink, tile_options);
#include <functional>
#include <memory>
#include <optional>

#include "tessera/connectomics/affinities.hpp"
#include "tessera/connectomics/labels.hpp"
#include "tessera/connectomics/segmentation.hpp"
#include "tessera/dist/communicator.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::connectomics {

struct AffinityTrainOptions {
  Shape patch = {16, 64, 64};  // z, y, x of each training crop (multiples of 4)
  int64_t batch = 2;           // crops per step (over all ranks)
  int steps = 2000;            // for the shared FIB-SEM volume: see bench/results/connectomics.md
  std::vector<int64_t> channels = {8, 16, 32};
  bool reversible = false;
  DataType precision = DataType::f32;  // the convolutions' (ConvParams::compute)
  std::vector<Offset> offsets = default_offsets();
  std::string optimizer = "adam";    // sgd | adam | kfac
  std::string optimizer_settings{};  // JSON over its defaults
  double lr = 0;                     // 0: the optimizer's default
  uint64_t seed = 0;
  // Called every few steps with (step, loss) on rank 0.
  std::function<void(int, float)> progress{};
  RunSettings run{};  // checkpoints, resume, init_from, progress line, log
  // A held-out volume pair (raw [1, 1, D, H, W] and its ids), when defined: its masked loss on
  // fixed, unaugmented crops is the validation score, every validate_every steps.
  Tensor validation_raw{};
  LabelVolume validation_labels{};
  int validate_every = 100;
};

struct AffinityModel {
  std::unique_ptr<Module> unet;  // raw (normalised) -> affinity logits
  std::vector<Offset> offsets;
  double mean = 0, sd = 1;  // of the training raw intensities
  int64_t steps = 0;
  // Chosen on held-out slices after training (connectomics train); none: the defaults.
  std::optional<SegmentationSettings> segmentation{};
};

// The untrained network of `o`: a padded 3D U-Net of o.channels (batch norm, ReLU, max
// pooling, transposed-conv upsampling; reversible stages with o.reversible), raw
// [N, 1, D, H, W] -> one affinity logit per offset [N, offsets, D, H, W]. What
// train_affinity_model trains, and what `bench engine --model affinity3d` times; its
// convolutions compute in o.precision.
std::unique_ptr<Module> make_affinity_unet(const AffinityTrainOptions& o);

// Throws SettingError naming the setting when `o` cannot train on `ranks` processes: patch
// sizes that are not multiples of 4, a batch that does not split evenly over the ranks.
void check_train_options(const AffinityTrainOptions& o, int ranks = 1);

// Throws std::invalid_argument unless raw is [1, 1, D, H, W] with the labels' D, H, W.
void check_training_volumes(const Tensor& raw, const LabelVolume& labels);

// Trains on random crops of raw [1, 1, D, H, W] with ids `labels` (0 = unlabelled: affinity
// 0), augmented by flips along every axis, y-x transposition and intensity scale and shift.
// With `comm` of several ranks, each trains on its share of every batch (data-parallel).
AffinityModel train_affinity_model(const Tensor& raw, const LabelVolume& labels,
                                   const AffinityTrainOptions& o, Communicator* comm = nullptr);

void save_affinity_model(const std::string& path, AffinityModel& m);
AffinityModel load_affinity_model(const std::string& path);

// normalise -> U-Net -> sigmoid, for tiled or whole inference: raw in, affinities in [0, 1]
// out. Takes the model's network.
std::unique_ptr<Module> prediction_network(AffinityModel m);

}  // namespace tessera::connectomics
