// The held-out part of the training data: the last z slices of the training volume, or a
// separate validation volume.
#include "tessera/connectomics/held_out.hpp"

#include <cmath>
#include <stdexcept>

#include "tessera/io/settings.hpp"
#include "tessera/ops/shape_ops.hpp"

namespace tessera::connectomics {

void check_held_out_options(const HeldOutOptions& o) {
  if (!(o.fraction >= 0 && o.fraction <= 0.9))
    throw SettingError("held_out_fraction",
                       "must lie in [0, 0.9] (the share of z slices held out)");
  if (o.raw.empty() != o.labels.empty())
    throw SettingError(o.raw.empty() ? "held_out_raw" : "held_out_labels",
                       "a held-out volume needs both its raw volume and its ids");
}

Tensor z_slices(const Tensor& volume, int64_t z0, int64_t z1) {
  return crop(volume, {0, 0, z0, 0, 0}, {1, volume.dim(1), z1 - z0, volume.dim(3), volume.dim(4)})
      .to_plain();
}

LabelVolume z_slices(const LabelVolume& labels, int64_t z0, int64_t z1) {
  const int64_t plane = labels.size[1] * labels.size[2];
  return {{z1 - z0, labels.size[1], labels.size[2]},
          std::vector<uint64_t>(labels.ids.begin() + z0 * plane, labels.ids.begin() + z1 * plane),
          labels.spacing};
}

namespace {

TrainingVolumes split_last_slices(Tensor raw, LabelVolume labels, double fraction) {
  const int64_t depth = labels.size[0];
  const int64_t held = std::max<int64_t>(1, std::llround(fraction * double(depth)));
  if (depth - held < 4)
    throw std::invalid_argument(
        "the training volume has " + std::to_string(depth) + " z slices: holding out " +
        std::to_string(held) +
        " to choose the segmentation settings leaves fewer than 4 to train on; give a "
        "separate held-out volume, a smaller held-out fraction, or 0 to keep the default "
        "settings");
  const int64_t split = depth - held;
  return {z_slices(raw, 0, split), z_slices(labels, 0, split), z_slices(raw, split, depth),
          z_slices(labels, split, depth),
          "z slices " + std::to_string(split) + ".." + std::to_string(depth - 1)};
}

}  // namespace

TrainingVolumes hold_out(Tensor raw, LabelVolume labels, const HeldOutOptions& o) {
  check_held_out_options(o);
  if (!o.raw.empty()) {
    Tensor held_raw = read_raw(o.raw);
    LabelVolume held_labels = read_labels(o.labels);
    if (Shape{held_raw.dim(2), held_raw.dim(3), held_raw.dim(4)} != held_labels.size)
      throw std::invalid_argument("held-out raw " + o.raw + " and ids " + o.labels +
                                  " differ in size");
    return {std::move(raw), std::move(labels), std::move(held_raw), std::move(held_labels), o.raw};
  }
  if (o.fraction == 0) return {std::move(raw), std::move(labels), Tensor{}, LabelVolume{}, ""};
  return split_last_slices(std::move(raw), std::move(labels), o.fraction);
}

}  // namespace tessera::connectomics
