#pragma once
// What the centre-heatmap detector learns (objects as points, Zhou et al. 2019, at full
// resolution): per class a heatmap that is 1 at each object's centre pixel and falls off as an
// elliptical Gaussian of the box's shape, and at the pixels near each centre the box's log
// width and log height. Full resolution keeps the exact tiled executor usable (its networks
// keep the input's size) and needs no offset head: the centre pixel is the box centre to within
// half a pixel. Sigma is a tenth of the box's extent (about CenterNet's, TTFNet's 0.54 / 6), at
// least a pixel.
#include <vector>

#include "tessera/tensor/tensor.hpp"

namespace tessera::ecology {

// A box by its centre, in the pixels of the crop or image it is drawn on.
struct CentreBox {
  double cx = 0, cy = 0, width = 0, height = 0;
  int64_t cls = 0;  // class index in [0, classes)
};

struct CentreTargets {
  Tensor heat;       // [1, classes, H, W]
  Tensor size;       // [1, 2, H, W]: log width, log height where size_mask is 1
  Tensor size_mask;  // [1, 2, H, W]: 1 where the pixel's strongest Gaussian is >= 1/2
};

// Sigma per axis of a box's Gaussian.
double centre_sigma(double extent);

// Boxes may reach beyond the crop: their tails are drawn, their centres only if inside.
CentreTargets centre_targets(const std::vector<CentreBox>& boxes, int64_t classes, int64_t height,
                             int64_t width);

}  // namespace tessera::ecology
