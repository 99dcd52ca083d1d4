#pragma once
// The tiling benchmark behind `tessera bench tiling`: a U-Net run by tiles (or whole) over a
// generated volume on disk (HDF5), one size per process so that peak RSS belongs to that size
// alone (see bench/tiling.sh); or, `generated`, over a volume computed as it is read and an
// output summed as it is written, for volumes larger than the disk (a GPU's throughput on a
// volume larger than its memory, bench/engine_gpu.sh).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tessera/tensor/device.hpp"

namespace tessera::bench {

struct TilingBenchOptions {
  int dims = 3;
  int64_t size = 64;
  int64_t depth = 0;                                // first axis; 0: size
  std::size_t max_memory = std::size_t(256) << 20;  // bytes for the network's tiles
  bool whole = false;                               // whole-input inference instead of tiles
  std::string dir = ".";                            // folder for the temporary volumes
  bool generated = false;         // no files: the volume made region by region, the output summed
  Device device = Device::cpu();  // where the U-Net computes
};

// Writes a seeded random volume to `dir`, runs the U-Net over it and removes it; one JSON object
// with the plan (tiles, columns, axis, rows per chunk, planned bytes), the tracked and RSS
// peaks, seconds and voxels per second.
nlohmann::json run_tiling_benchmark(const TilingBenchOptions& o);

}  // namespace tessera::bench
