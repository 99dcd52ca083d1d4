#pragma once
// From affinities to segments: a seeded watershed makes fragments, mean-affinity agglomeration
// merges them.
//
//   Tensor boundary = boundary_map(aff);                 // 1 - nearest-neighbour affinity
//   LabelVolume frags = watershed_fragments(boundary, {});
//   auto segs = agglomerate(frags, aff, {0.3, 0.5, 0.7});  // one segmentation per threshold
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/connectomics/labels.hpp"

namespace tessera::connectomics {

// aff [1, C>=3, D, H, W] whose first three channels are the -z, -y, -x nearest-neighbour
// affinities -> [D, H, W] boundary strength in [0, 1]: 1 - the weakest of the six affinities
// of the voxel's edges to its neighbours (a voxel is on a boundary when any edge is cut).
Tensor boundary_map(const Tensor& affinities);

struct WatershedOptions {
  // Voxels with boundary below this are inside objects; seeds are the maxima of their
  // distance to the nearest boundary voxel...
  float threshold = 0.5f;
  // ... of at least this height over the saddle to a higher one (ITK's h-maxima), in voxels:
  // smaller gives more, smaller fragments.
  double seed_height = 1.0;
};

// What turns affinities into one segmentation: the seeding and the agglomeration threshold.
// connectomics train chooses them on held-out slices (settings_selection.hpp).
struct SegmentationSettings {
  WatershedOptions watershed{};
  double threshold = 0.5;  // agglomeration
};

// {"boundary_threshold": .., "seed_height": .., "threshold": ..}
nlohmann::json to_json(const SegmentationSettings& s);
// Throws std::invalid_argument naming `where` (a file) when `j` lacks a field or holds one out
// of range (thresholds in [0, 1], seed height >= 0).
SegmentationSettings segmentation_settings_from_json(const nlohmann::json& j,
                                                     const std::string& where);

// ITK: a distance transform of the inside voxels, its h-maxima as seeds (connected
// components), and a marker-controlled morphological watershed flooding the boundary map.
// boundary [D, H, W] (or [1, 1, D, H, W]). Every voxel gets a fragment id 1..K.
LabelVolume watershed_fragments(const Tensor& boundary, const WatershedOptions& o = {});

// Merges adjacent fragments in order of the mean nearest-neighbour affinity along their
// shared face, highest first, while it is above the threshold; returns the segmentation at
// each of `thresholds` (same order), ids 1..K. affinities as for boundary_map.
std::vector<LabelVolume> agglomerate(const LabelVolume& fragments, const Tensor& affinities,
                                     const std::vector<double>& thresholds);

struct VolumeSegmentOptions {
  WatershedOptions watershed{};
  std::vector<double> thresholds{0.5};
  int64_t slab = 0;                               // z slices per slab; 0: from max_memory
  std::size_t max_memory = std::size_t(1) << 30;  // bytes for a slab's working set
};

struct VolumeSegmentReport {
  int64_t slabs = 0;
  uint64_t fragments = 0;
  std::vector<uint64_t> segments;  // per threshold
};

// Out of core: segments an affinity volume (regions [1, C>=3, D, H, W]) slab by slab along z
// and writes one segmentation per threshold to `outputs` (not committed). The watershed runs
// per slab (fragment ids made unique across slabs); the faces inside slabs and across each
// seam (the z affinities of a slab's first plane) go into one region graph, agglomerated
// once; a second pass recomputes each slab's fragments and writes their segment ids. Memory:
// one slab's working set (about 100 bytes per voxel) and the graph.
VolumeSegmentReport segment_volume(VolumeSource& affinities,
                                   const std::vector<VolumeSink*>& outputs,
                                   const VolumeSegmentOptions& o);

// The classical baseline: affinities from the raw intensity itself (membranes dark), after a
// Gaussian smoothing of `sigma` voxels and a rescale of the 1st..99th percentiles to 0..1:
// a nearest-neighbour affinity is the darker of its two voxels. raw [1, 1, D, H, W] ->
// [1, 3, D, H, W].
Tensor intensity_affinities(const Tensor& raw, double sigma = 1.0);

}  // namespace tessera::connectomics
