#pragma once
// Segmentation quality against ground truth, as CREMI and SNEMI3D define it. Voxels whose
// truth is 0 (unlabelled / boundary) are left out.
#include <nlohmann/json.hpp>

#include "tessera/connectomics/labels.hpp"

namespace tessera::connectomics {

struct SegmentationScores {
  double voi_split = 0;           // H(segmentation | truth), bits: one object cut into several
  double voi_merge = 0;           // H(truth | segmentation), bits: several objects joined
  double adapted_rand_error = 0;  // 1 - F-score of the Rand precision and recall (SNEMI3D)
  double cremi_score = 0;         // sqrt((voi_split + voi_merge) * adapted_rand_error)
  int64_t voxels = 0;             // compared (truth nonzero)
};

// Throws when the volumes differ in size.
SegmentationScores evaluate_segmentation(const LabelVolume& segmentation, const LabelVolume& truth);

// voi_split, voi_merge, voi (their sum), adapted_rand_error, cremi_score, voxels.
nlohmann::json to_json(const SegmentationScores& s);

}  // namespace tessera::connectomics
