#pragma once
// What `tessera materials synth` writes: synthetic micrographs of several specimens with their
// truth and their weak labels, laid out as the UHCS data is:
//   images/<name>.png       the micrographs (8-bit grey)
//   labels/<name>.png       region masks (0 matrix, 1 network, 2 spheroidite, 3 widmanstatten)
//   tags_image.csv          name,has_matrix,has_network,has_spheroidite,has_widmanstatten
//   tags_tiles.csv          name,tile_row,tile_col,y0,y1,x0,x1,has_... per tile of a grid
//   metadata.csv            name,specimen,um_per_px,anneal,particle_radius_um
// A phase is present in an image or tile when it covers more than 2% of it. Each specimen has
// its own mix of phases, as heat treatments give, and its own anneal: every other specimen had
// a long one, which coarsened its particles (mean radius particle_radius_um): the condition and
// the property `train-property` learns.
#include <cstdint>
#include <string>

#include "tessera/data/micrograph.hpp"

namespace tessera::data {

struct MicrographFolder {
  std::string folder{};  // created when missing
  int specimens = 4;
  int images_per_specimen = 3;
  int width = 320, height = 240;
  int tile_rows = 4, tile_cols = 5;
  double um_per_px = 0.2;
  uint64_t seed = 0;
};

// Writes every file together (none when one fails); throws SettingError for sizes or counts out
// of range.
void write_micrograph_folder(const MicrographFolder& f);

}  // namespace tessera::data
