#pragma once
// A camera profile measured the way camera makers do (EMVA 1288's photon transfer): dark frames
// give the black level, the read noise and the row noise; clips of a still, evenly lit scene
// ("flats", best at several brightnesses) give the gain from how the variance of a pixel over
// time grows with its mean.
//
//   CameraProfile p = calibrate_camera(*open_volume("dark.cihx"),
//                                      {open_volume("flat_low.cihx").get(), ...}, {});
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/io/region.hpp"
#include "tessera/video/camera_profile.hpp"

namespace tessera::video {

struct CalibrationOptions {
  int bits = 0;              // effective bits of the raw values; 0: the files' "bit_depth"
  int64_t max_frames = 200;  // frames read from each clip
};

// What dark frames say: the black level (mean DN) and the temporal noise split into pixel and
// row parts (pixel includes the quantisation step).
struct DarkNoise {
  double black_level = 0;
  double pixel_variance = 0;  // DN^2
  double row_variance = 0;    // DN^2
};

// dark [T >= 2, H, W] clip -> its noise. Throws std::invalid_argument for a clip of fewer than
// 2 frames or a width of 1.
DarkNoise measure_dark_noise(VolumeSource& dark, int64_t max_frames = 200);

// The gain (DN per electron) from flat clips [T >= 2, H, W] of the same camera: the per-pixel
// temporal variance against the mean above black, binned by mean and fitted by least squares
// with the dark variance as the intercept. Pixels within 5% of white are left out (clipped).
// Throws std::invalid_argument when no flat has light above the dark noise.
double measure_gain(const std::vector<VolumeSource*>& flats, const DarkNoise& dark,
                    double white_level, int64_t max_frames = 200);

// The whole profile (Gaussian read noise); name says where it came from.
CameraProfile calibrate_camera(VolumeSource& dark, const std::vector<VolumeSource*>& flats,
                               const CalibrationOptions& o = {});

}  // namespace tessera::video
