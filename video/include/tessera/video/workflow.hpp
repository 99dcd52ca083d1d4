#pragma once
// The video commands' work on files: a clean clip made dark and noisy through a camera's noise
// (`video synth`), and a camera profile measured from a user's own dark and flat clips
// (`video calibrate`). Clips are any frame source formats/ reads (video files, image
// sequences in a folder, multi-page TIFF, HDF5, Photron MRAW, Phantom CINE), a few frames at a
// time.
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/io/region.hpp"
#include "tessera/video/camera_profile.hpp"

namespace tessera::video {

struct SynthesisRun {
  std::string input{};        // clean clip
  std::string output{};       // raw DN: a folder of 16-bit TIFF frames, .tif, .h5:dataset
  std::string camera{};       // camera profile file (camera_profile.hpp)
  ProfileChoice choice{};     // ISO or gain within the profile
  double photons = 30;        // electrons a white pixel catches
  double white = 0;           // the clean clip's white; 0: from its bit depth
  bool linear_input = false;  // the clean clip is linear light already, not sRGB
  int64_t max_frames = 0;     // 0: every frame
  uint64_t seed = 0;
};

struct SynthesisSummary {
  CameraProfile camera;
  int64_t frames = 0;
  double white = 0;  // of the input
};

// Throws (naming the setting) when an output names an input, the profile or choice is wrong,
// the input is not a clip, or photons is not above 0; writes nothing then.
SynthesisSummary synthesise_clip(const SynthesisRun& run);

struct CalibrationRun {
  std::string dark{};                // a clip of dark frames
  std::vector<std::string> flats{};  // clips of a still, evenly lit scene, one per brightness
  std::string output{};              // the profile, JSON
  int bits = 0;                      // 0: the files' stated bit depth, else 16
  int64_t max_frames = 200;
};

CameraProfile calibrate_from_files(const CalibrationRun& run);

// The white of a clean clip: 2^bits - 1 where the file states its bit depth, else 255 when its
// first frames hold nothing above 255, else 65535.
double white_of_clip(VolumeSource& clip);

}  // namespace tessera::video
