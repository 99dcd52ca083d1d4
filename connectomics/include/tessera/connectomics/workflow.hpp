#pragma once
// The connectomics workflows as `tessera connectomics` runs them, from files to files: train an
// affinity model on a raw volume and its ids, predict affinities by tiles, segment them slab by
// slab (one output per threshold, a preview), both in one go, and score a segmentation against
// the truth. Progress lines go to the `log` stream a caller gives (none by default); bad
// settings throw SettingError naming the field.
//
//   train_affinities({.raw = "train.h5:raw", .labels = "ids.h5:ids", .output = "aff.h5"}, comm);
//   PipelineReport r = predict_and_segment({.model = "aff.h5", .raw = "test.h5:raw"},
//                                          {.output = "seg.h5:seg"});
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/connectomics/affinity_model.hpp"
#include "tessera/connectomics/segmentation.hpp"
#include "tessera/tile/tiled.hpp"

namespace tessera::connectomics {

struct AffinityTraining {
  std::string raw{}, labels{};  // volume specs of the raw EM and its ids
  std::string output{};         // checkpoint to write (.h5), by rank 0
  AffinityTrainOptions train{};
  std::ostream* log = nullptr;  // what is trained, and the loss every few steps (rank 0)
};

// Checks the settings, reads both volumes whole, trains (data-parallel over `comm`'s ranks)
// and saves the model on rank 0.
void train_affinities(const AffinityTraining& t, Communicator& comm);

struct AffinityPrediction {
  std::string model{};   // checkpoint from train_affinities
  std::string raw{};     // single-channel 3D volume
  std::string output{};  // affinities to write (float32, one channel per offset)
  std::size_t max_memory = std::size_t(1) << 30;  // bytes for the network's tiles
  bool progress = true;                           // the tiled executor's progress on a terminal
};

struct PredictionReport {
  std::string output{};  // the affinities written
  Shape size;            // z, y, x
  TileReport tiles;
};

PredictionReport predict_affinities(const AffinityPrediction& p);

struct AffinitySegmentation {
  std::string affinities{};  // from predict_affinities
  // Segmentation to write (uint64 in HDF5); with several thresholds one file each, named by
  // output_for_threshold.
  std::string output{};
  VolumeSegmentOptions segment{};
  std::string preview{};  // PNG of a few slices with the segmentation (needs raw)
  std::string raw{};      // raw volume, for the preview
};

struct SegmentationReport {
  std::vector<std::string> outputs;  // per threshold
  VolumeSegmentReport volume;
};

// Checks every output's format first (and that a preview has its raw volume), then segments.
SegmentationReport segment_affinities(const AffinitySegmentation& s);

// "seg.h5:seg" with threshold 0.5 -> "seg_t0.5.h5:seg": the output of one threshold of several.
std::string output_for_threshold(const std::string& spec, double threshold);

// "dir/seg.h5:seg" -> "dir/seg_affinities.h5:affinities": where a run keeps its affinities
// when it is not told.
std::string affinities_beside(const std::string& segmentation_spec);

struct PipelineReport {
  PredictionReport prediction;
  SegmentationReport segmentation;
};

// predict_affinities, then segment_affinities of its output (p.output, or beside s.output
// when empty) with p.raw for the preview.
PipelineReport predict_and_segment(AffinityPrediction p, AffinitySegmentation s);

// Scores `segmentation` against `truth` (both volume specs, read whole); writes them as JSON to
// `output` when it is not empty. Returns the scores' JSON (to_json of metrics.hpp).
nlohmann::json evaluate_segmentation_files(const std::string& segmentation,
                                           const std::string& truth, const std::string& output);

}  // namespace tessera::connectomics
