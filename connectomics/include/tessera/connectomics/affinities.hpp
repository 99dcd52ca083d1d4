#pragma once
// Affinities: for each voxel v and offset o, whether v and v + o belong to the same object.
// The network predicts them; the watershed and agglomeration turn them into segments.
#include <vector>

#include "tessera/connectomics/labels.hpp"

namespace tessera::connectomics {

struct Offset {
  int64_t z = 0, y = 0, x = 0;
};

// The three nearest neighbours (-z, -y, -x) first, as the segmentation reads them, then
// long-range ones that make merge errors costly for the network: (-3,0,0), (0,-4,0), (0,0,-4),
// (0,-9,0), (0,0,-9).
std::vector<Offset> default_offsets();

struct AffinityTargets {
  Tensor target;  // [1, C, D, H, W]: 1 where v and v+o share a nonzero id
  Tensor mask;    // [1, C, D, H, W]: 1 where v+o lies inside the volume
};

// From ids of a volume of `size` (z, y, x). Background (0) has affinity 0 to everything.
AffinityTargets affinity_targets(const std::vector<uint64_t>& ids, const Shape& size,
                                 const std::vector<Offset>& offsets);

}  // namespace tessera::connectomics
