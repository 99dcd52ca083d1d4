#pragma once
// Synthetic electron-microscopy volume with ground-truth neuron ids: cells are the 3D Voronoi
// regions of random seeds (squashed along z when z_scale < 1, as serial sections are thicker
// than their pixels), membranes are dark bands where two cells meet (id 0, as in CREMI-style
// truth where boundaries are unlabelled), each cell has its own brightness and a texture, and
// the whole is blurred and noisy, as EM is.
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/tensor/tensor.hpp"

namespace tessera::data {

struct EmVolumeOptions {
  Shape size = {32, 96, 96};  // z, y, x
  double cell_size = 18;      // mean distance between cell centres, in voxels (y, x)
  double z_scale = 1.0;       // voxels along z per voxel along y/x of the same length
  double membrane = 1.6;      // membrane half-width, in voxels
  double noise = 0.08;        // Gaussian noise standard deviation (intensities 0..1)
  double blur = 0.8;          // Gaussian blur sigma, in voxels
  uint64_t seed = 0;
};

struct EmVolume {
  Tensor raw;                 // [1, 1, D, H, W], intensities about 0..1, membranes dark
  std::vector<uint64_t> ids;  // D*H*W: 1..cells inside cells, 0 on membranes
  int64_t cells = 0;
};

// Throws SettingError for a size, cell_size or z_scale it cannot draw.
EmVolume make_em_volume(const EmVolumeOptions& o);

struct EmVolumeFiles {
  std::string raw{};     // volume spec for the raw intensities (float32)
  std::string labels{};  // volume spec for the ids (a format that holds them: not 8-bit images)
  EmVolumeOptions volume{};
};

// Generates a volume and writes both files (the labels' format checked first); returns the
// number of cells.
int64_t write_em_volume(const EmVolumeFiles& f);

}  // namespace tessera::data
