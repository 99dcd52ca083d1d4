#pragma once
// A quick look at a segmentation: a few z slices of the raw volume side by side, each segment
// in its own colour over the grey values, boundaries between segments dark.
#include <string>

#include "tessera/connectomics/labels.hpp"

namespace tessera::connectomics {

// Reads only the `slices` evenly spaced z slices (at most D) of both volumes, which must be
// single-channel 3D volumes of one size; `caption` (the settings in use) is written below.
void write_segmentation_preview(const std::string& png_path, VolumeSource& raw,
                                VolumeSource& segmentation, int slices = 3,
                                const std::string& caption = "");

}  // namespace tessera::connectomics
