#pragma once
// A quick look at a segmentation: a few z slices of the raw volume side by side, each segment
// in its own colour over the grey values, boundaries between segments dark.
#include <string>

#include "tessera/connectomics/labels.hpp"

namespace tessera::connectomics {

// raw [1, 1, D, H, W] or [D, H, W]; `slices` evenly spaced z slices (at most D).
void write_segmentation_preview(const std::string& png_path, const Tensor& raw,
                                const LabelVolume& segmentation, int slices = 3);

}  // namespace tessera::connectomics
