#pragma once
// Exact tiled inference: a network run over a volume tile by tile gives the same output as run
// over the whole volume at once, with memory bounded by the tile.
//
// The volume is cut into columns across every axis but one; each column is streamed along
// that axis in chunks of rows, so that every layer computes each of its rows once (see
// row_stream.hpp). The budget-chosen plan streams along the axis that costs least (z of a
// deep volume, y of an image or of a thin stack of slices). Across the other axes each column's
// input adds the network's halo on both sides and the part of the output near its inner edges,
// where the column's own zero padding differs from the whole input, is cropped away. Columns
// start at multiples of the total stride, so every pooling window of a column is one of the
// whole input, and the volume is treated as zero-padded to a multiple of the stride, exactly as
// whole-input inference pads it. Edge columns are shifted inwards rather than shrunk, so every
// column has the same shape and the network's primitives are created once.
//
// The network computes on its device (device_of): on a GPU each chunk is copied there and its
// final rows come back to the host for the sink, so a volume larger than the GPU's memory is
// inferred in the GPU's memory budget.
#include <cstddef>
#include <functional>
#include <memory>

#include "tessera/io/region.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/tile/receptive_field.hpp"

namespace tessera {

struct TilePlan;

struct TileOptions {
  // Output tile per axis: rows per chunk along the first axis (which is then the one streamed),
  // then the column's core edge (each rounded up to the stride). Empty: from the budget.
  Shape tile{};
  // Bytes for the network's working set on its device; 0 with no tile: 1 GiB.
  std::size_t max_memory = 0;
  bool progress = false;  // rate and ETA on stderr
  // A plan from an earlier run of the same model over a volume of the same size and channels,
  // used as it is: no probes, and the memory cache kept warm (a stream of frames plans once).
  const TilePlan* plan = nullptr;
};

struct TilePlan {
  ReceptiveField field;
  Shape padded;  // volume size rounded up to the stride
  int axis = 0;  // the spatial axis streamed in chunks of rows
  Shape core;    // output tile: chunk rows along `axis`, the column's core edge across
  Shape input;   // input tile: chunk rows along `axis`, core + 2 halo across (at most padded)
  int64_t columns = 0;  // columns across the axes other than `axis`
  int64_t tiles = 0;    // chunks in all: columns x chunks per column
  // Measured working set of the stream per voxel of a column's cross-section, with the chunk
  // rows of `core`; times the input cross-section, the estimate that the budget bounds.
  double bytes_per_section_voxel = 0;
  std::size_t working_bytes = 0;
};

struct TileReport {
  TilePlan plan;
  // Tracking allocator of the model's device: the executor's own peak, over what it found.
  std::size_t peak_bytes = 0;
  double seconds = 0;
};

// Output channels are known after the first rows, so the sink comes from a factory.
using SinkFactory = std::function<std::unique_ptr<VolumeSink>(int64_t channels)>;

// Plans the tiles for `model` over a volume of `info` within the budget (eval mode). Throws
// std::invalid_argument for networks that cannot be tiled or budgets too small for them.
TilePlan plan_tiles(Module& model, const VolumeInfo& info, const TileOptions& o);

// Runs `model` (eval mode) over `in` column by column, chunk by chunk, and writes the output
// rows to the sink as they become final; the next chunk is read while the current one is
// computed. Commits the sink.
TileReport run_tiled(Module& model, VolumeSource& in, const SinkFactory& make_sink,
                     const TileOptions& o);

// Whole-input inference with the same conventions: x [N,C,*S] zero-padded to a multiple of
// the total stride, run in eval mode on the model's device, output cropped back to S on x's.
Tensor run_whole(Module& model, const Tensor& x);

}  // namespace tessera
