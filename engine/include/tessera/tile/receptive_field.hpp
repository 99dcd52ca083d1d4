#pragma once
// Receptive field of a network, computed from its modules' geometry (never typed in): how far
// an output voxel can see, and the total stride that tiles must be aligned to so that every
// pooling window of a tile is a pooling window of the whole input.
#include "tessera/nn/module.hpp"

namespace tessera {

struct ReceptiveField {
  Shape radius;  // per spatial axis, input voxels: an output depends on inputs within ±radius
  Shape stride;  // per spatial axis: the least common multiple of the network's strides
  // Per spatial axis: input voxels per output voxel (1 when the output has the input's size,
  // 2 after one 2x downsampling, 0.5 after one 2x upsampling).
  std::vector<double> jump;
  // The context a tile needs on each side: radius rounded up to a multiple of the stride.
  Shape halo() const;
};

// Throws std::invalid_argument for networks that cannot be tiled (flatten / linear layers: an
// output depends on the whole input).
ReceptiveField receptive_field(Module& model, int spatial_dims);

}  // namespace tessera
