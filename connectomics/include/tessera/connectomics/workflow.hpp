#pragma once
// The connectomics workflows as `tessera connectomics` runs them, from files to files: train an
// affinity model on a raw volume and its ids, predict affinities by tiles, segment them slab by
// slab (one output per threshold, a preview), both in one go, and score a segmentation against
// the truth. Progress lines go to the `log` stream a caller gives (none by default); bad
// settings throw SettingError naming the field.
//
//   train_affinities({.raw = "train.h5:raw", .labels = "ids.h5:ids", .output = "aff.h5"}, comm);
//   PipelineReport r = predict_and_segment({.model = "aff.h5", .raw = "test.h5:raw"},
//                                          {.output = "seg.h5:seg"});  // settings from train
//   evaluate_files({.truth = "ids.h5:ids", .segmentation = "seg.h5:seg"});
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/connectomics/affinity_model.hpp"
#include "tessera/connectomics/held_out.hpp"
#include "tessera/connectomics/segmentation.hpp"
#include "tessera/connectomics/settings_selection.hpp"
#include "tessera/tile/tiled.hpp"

namespace tessera::connectomics {

struct AffinityTraining {
  std::string raw{}, labels{};  // volume specs of the raw EM and its ids
  std::string output{};         // checkpoint to write (.h5), by rank 0
  AffinityTrainOptions train{};
  // Where the segmentation settings are chosen: by default the last fifth of the z slices,
  // which the network then does not train on.
  HeldOutOptions held_out{};
  SettingsGrid grid{};          // the settings tried there
  std::ostream* log = nullptr;  // what is trained, and the loss every few steps (rank 0)
};

struct TrainingReport {
  std::string held_out;                 // what was held out; empty: nothing (default settings)
  std::optional<SettingsTrial> chosen;  // the settings stored in the model, with their scores
};

// Checks the settings, reads both volumes whole, holds out part of them (held_out), trains on
// the rest (data-parallel over `comm`'s ranks), and on rank 0 chooses the segmentation
// settings on the held-out part (best CREMI score over `grid`) and saves the model with them.
// The report is rank 0's.
TrainingReport train_affinities(const AffinityTraining& t, Communicator& comm);

struct AffinityPrediction {
  std::string model{};   // checkpoint from train_affinities
  std::string raw{};     // single-channel 3D volume
  std::string output{};  // affinities to write (float32, one channel per offset)
  std::size_t max_memory = std::size_t(1) << 30;  // bytes for the network's tiles
  bool progress = true;                           // the tiled executor's progress on a terminal
  DataType precision = DataType::f32;             // the U-Net's convolutions'
  Device device = Device::cpu();                  // where the U-Net computes
};

// The attributes predict writes on an affinity volume (VolumeInfo::attributes, kept by HDF5):
// "offsets" (JSON [[z, y, x], ...], one per channel) and, when the model has them,
// "segmentation_settings" (JSON, to_json of SegmentationSettings).
constexpr const char* kOffsetsAttribute = "offsets";
constexpr const char* kSettingsAttribute = "segmentation_settings";

struct PredictionReport {
  std::string output{};  // the affinities written
  Shape size;            // z, y, x
  TileReport tiles;
};

PredictionReport predict_affinities(const AffinityPrediction& p);

// The settings a user gives for a segmentation; each one not given comes from the affinity
// file (the settings train chose, which predict records there), else from the defaults of
// SegmentationSettings.
struct SegmentationRequest {
  std::vector<double> thresholds{};  // agglomeration; several: one output each
  std::optional<float> boundary_threshold{};
  std::optional<double> seed_height{};
};

struct AffinitySegmentation {
  std::string affinities{};  // from predict_affinities
  // Segmentation to write (uint64 in HDF5); with several thresholds one file each, named by
  // output_for_threshold.
  std::string output{};
  SegmentationRequest settings{};
  int64_t slab = 0;                               // z slices per slab; 0: from max_memory
  std::size_t max_memory = std::size_t(1) << 30;  // bytes for a slab's working set
  std::string preview{};  // PNG of a few slices with the segmentation (needs raw)
  std::string raw{};      // raw volume, for the preview
};

struct SegmentationReport {
  std::vector<std::string> outputs;  // per threshold
  VolumeSegmentOptions used;         // the settings in use
  // Where each came from, e.g. "chosen by train on held-out slices" or "given" or "default".
  std::string settings_source;
  VolumeSegmentReport volume;
};

// The settings a segmentation of an affinity volume with `attributes` uses (see
// SegmentationRequest), and where they came from. Throws std::invalid_argument naming `spec`
// when the attributes are malformed or their offsets do not start with the -z, -y, -x nearest
// neighbours that the segmentation reads.
std::pair<VolumeSegmentOptions, std::string> resolve_segmentation_settings(
    const SegmentationRequest& request, const VolumeInfo& affinities, const std::string& spec);

// Checks every output's format first (and that a preview has its raw volume), then segments
// (settings by resolve_segmentation_settings); the preview's caption names the threshold.
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

struct Evaluation {
  std::string truth{};         // true ids
  std::string segmentation{};  // a segmentation to score, and/or
  std::string affinities{};    // affinities to segment at every threshold of sweep_thresholds()
  std::string output{};        // scores JSON; the sweep table goes beside it (sweep_beside)
};

struct EvaluationReport {
  nlohmann::json scores;  // the segmentation's (to_json), and with affinities "best_threshold"
  std::vector<SettingsTrial> sweep;  // with affinities: one row per threshold
  std::string sweep_csv;             // where the sweep was written ("" when not)
};

// "out/scores.json" -> "out/scores_sweep.csv".
std::string sweep_beside(const std::string& scores_path);

// Scores a segmentation and/or sweeps the agglomeration threshold of affinities (seeding as
// the affinity file records it, else the default) against the truth; writes the scores JSON
// and the sweep CSV when `output` is given. Throws SettingError when neither is given.
EvaluationReport evaluate_files(const Evaluation& e);

}  // namespace tessera::connectomics
