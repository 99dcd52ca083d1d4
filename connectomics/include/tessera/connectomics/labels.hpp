#pragma once
// A label volume: one integer id per voxel (0 = background / unlabelled), z-y-x order.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tessera/io/region.hpp"
#include "tessera/tensor/tensor.hpp"

namespace tessera::connectomics {

// Ids travel through the engine's float32 volumes, which hold every whole number below 2^24
// exactly, and no more.
constexpr uint64_t kLabelLimit = uint64_t{1} << 24;

struct LabelVolume {
  Shape size{};                   // z, y, x
  std::vector<uint64_t> ids{};    // product(size) values
  std::vector<double> spacing{};  // per axis, from the file when it has it
  int64_t voxels() const { return product(size); }
};

// Reads a whole label volume (any spec open_volume takes). Ids travel through float32, so
// they must be whole numbers below 2^24: larger ones are refused rather than rounded.
LabelVolume read_labels(const std::string& spec);

// Throws when `spec` names a format that cannot hold label ids (8-bit images): commands check
// their outputs before any work.
void check_label_format(const std::string& spec);

// The whole of a single-channel raw volume as [1, 1, D, H, W] (2D images: one slice);
// NaN or infinite values are refused.
Tensor read_raw(const std::string& spec);

// Writes ids (as uint64 where the format has it, else its widest integer type). Ids must be
// below 2^24 (relabel_sequential first).
void write_labels(const std::string& spec, const LabelVolume& labels);

// The ids as a float tensor [1, 1, D, H, W] (the engine's volume form); ids must be below 2^24.
Tensor label_tensor(const LabelVolume& labels);

// Renumbers ids to 1..K in order of first appearance (0 stays 0); returns K.
uint64_t relabel_sequential(LabelVolume& labels);

}  // namespace tessera::connectomics
