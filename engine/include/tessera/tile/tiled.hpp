#pragma once
// Exact tiled inference: a network run over a volume tile by tile gives the same output as run
// over the whole volume at once, with memory bounded by the tile.
//
// Each output tile (its "core") is computed from an input box that adds the network's halo on
// every side; the part of the tile's output near its inner edges, where the tile's own zero
// padding differs from the whole input, is cropped away. Tiles start at multiples of the total
// stride so every pooling window of a tile is one of the whole input, and the volume is treated
// as zero-padded to a multiple of the stride, exactly as whole-input inference pads it. Edge
// tiles are shifted inwards rather than shrunk, so every tile has the same shape and the
// network's primitives are created once.
#include <cstddef>
#include <functional>
#include <memory>

#include "tessera/io/region.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/tile/receptive_field.hpp"

namespace tessera {

struct TileOptions {
  Shape tile{};  // core edge per axis (rounded up to the stride); empty: from the budget
  std::size_t max_memory = 0;  // bytes for the network's working set; 0 with no tile: 1 GiB
  bool progress = false;       // rate and ETA on stderr
};

struct TilePlan {
  ReceptiveField field;
  Shape padded;  // volume size rounded up to the stride
  Shape core;    // output tile edge
  Shape input;   // input tile edge: core + 2 halo, at most the padded size
  int64_t tiles = 0;
  double bytes_per_voxel = 0;  // measured working set of the network per input voxel
};

struct TileReport {
  TilePlan plan;
  std::size_t peak_bytes = 0;  // tracking allocator, during the run
  double seconds = 0;
};

// Output channels are known after the first tile, so the sink comes from a factory.
using SinkFactory = std::function<std::unique_ptr<VolumeSink>(int64_t channels)>;

// Plans the tiles for `model` over a volume of `info` within the budget (eval mode).
TilePlan plan_tiles(Module& model, const VolumeInfo& info, const TileOptions& o);

// Runs `model` (eval mode) over `in` tile by tile and writes every output tile to the sink;
// the next tile's input is read while the current one is computed. Commits the sink.
TileReport run_tiled(Module& model, VolumeSource& in, const SinkFactory& make_sink,
                     const TileOptions& o);

// Whole-input inference with the same conventions: x [N,C,*S] zero-padded to a multiple of
// the total stride, run in eval mode, output cropped back to S.
Tensor run_whole(Module& model, const Tensor& x);

}  // namespace tessera
