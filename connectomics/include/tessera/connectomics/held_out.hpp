#pragma once
// Held-out slices: the part of a training volume the network does not train on, where train
// chooses the segmentation settings (settings_selection.hpp). By default the last z slices of
// the training volume; or a separate validation volume with its own ids.
//
//   TrainingVolumes v = hold_out(read_raw(raw), read_labels(labels), {.fraction = 0.2});
//   train_affinity_model(v.raw, v.labels, ...);   // choose settings on v.held_raw, v.held_labels
#include <string>

#include "tessera/connectomics/labels.hpp"

namespace tessera::connectomics {

struct HeldOutOptions {
  // Share of the training volume's z slices held out (the last ones), when no separate volume
  // is given; 0: none (the settings stay the defaults).
  double fraction = 0.2;
  // A separate validation volume and its ids (volume specs): then the whole training volume
  // trains and `fraction` is not used.
  std::string raw{}, labels{};
};

struct TrainingVolumes {
  Tensor raw;          // [1, 1, D, H, W] to train on
  LabelVolume labels;  // its ids
  Tensor held_raw;     // [1, 1, d, h, w]: where the settings are chosen; undefined when none
  LabelVolume held_labels;
  std::string held_out;  // what was held out, for the log: "z slices 28..34" or the volume spec

  bool has_held_out() const { return held_raw.defined(); }
};

// Throws SettingError naming the setting as a training run names it (held_out_fraction,
// held_out_raw, held_out_labels): a fraction outside [0, 0.9], a volume without its ids or ids
// without the volume.
void check_held_out_options(const HeldOutOptions& o);

// Splits (or reads) the held-out part. Throws std::invalid_argument when the fraction leaves
// fewer than 4 training slices or holds out none (a volume too thin to split: give a separate
// volume or a fraction of 0), or when the separate volume's raw and ids differ in size.
TrainingVolumes hold_out(Tensor raw, LabelVolume labels, const HeldOutOptions& o);

// Slices [z0, z1) of a [1, C, D, H, W] tensor and of a label volume.
Tensor z_slices(const Tensor& volume, int64_t z0, int64_t z1);
LabelVolume z_slices(const LabelVolume& labels, int64_t z0, int64_t z1);

}  // namespace tessera::connectomics
