#pragma once
// The segmentation settings (seeding and agglomeration threshold) and how they are chosen: on
// slices the network did not train on, by the segmentation score, from a small grid. train
// stores the choice in the model, predict copies it into the affinity file, segment and run
// use it unless told otherwise.
//
//   const Tensor aff = affinities_of(model, held_raw);                  // [1, C, D, H, W]
//   std::vector<SettingsTrial> trials = sweep_settings(aff, held_truth, {});
//   SegmentationSettings best = best_trial(trials).settings;
//   write_sweep_csv("sweep.csv", trials);
#include <string>
#include <vector>

#include "tessera/connectomics/affinity_model.hpp"
#include "tessera/connectomics/metrics.hpp"
#include "tessera/connectomics/segmentation.hpp"

namespace tessera::connectomics {

// The agglomeration thresholds a sweep tries: 0.05, 0.10, ..., 0.95.
std::vector<double> sweep_thresholds();

// Seedings x agglomeration thresholds, every combination.
struct SettingsGrid {
  std::vector<float> boundary_thresholds{0.3f, 0.5f, 0.7f};
  std::vector<double> seed_heights{1.0, 2.0, 4.0};
  std::vector<double> thresholds = sweep_thresholds();
};

struct SettingsTrial {
  SegmentationSettings settings;
  SegmentationScores scores;
  uint64_t segments = 0;
};

// Segments `affinities` [1, C>=3, D, H, W] as segment_volume does (one slab), with every
// setting of the grid, and scores each against `truth`: one trial per combination, seeding by
// seeding, thresholds ascending.
std::vector<SettingsTrial> sweep_settings(const Tensor& affinities, const LabelVolume& truth,
                                          const SettingsGrid& grid);

// The trial with the lowest CREMI score (which weighs VOI and adapted Rand error alike);
// throws on an empty list.
const SettingsTrial& best_trial(const std::vector<SettingsTrial>& trials);

// One row per trial: boundary_threshold, seed_height, threshold, segments, voi_split,
// voi_merge, voi, adapted_rand_error, cremi_score (written atomically).
void write_sweep_csv(const std::string& path, const std::vector<SettingsTrial>& trials);

// The model's affinities of a whole raw volume [1, 1, D, H, W] -> [1, C, D, H, W] in [0, 1],
// as prediction_network computes them, leaving the model whole (to be saved after).
Tensor affinities_of(AffinityModel& model, const Tensor& raw);

}  // namespace tessera::connectomics
