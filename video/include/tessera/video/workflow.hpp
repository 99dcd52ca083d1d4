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
#include "tessera/tile/tiled.hpp"
#include "tessera/video/camera_profile.hpp"
#include "tessera/video/denoiser_training.hpp"

namespace tessera::video {

struct SynthesisRun {
  std::string input{};        // clean clip
  std::string output{};       // raw DN: a folder of 16-bit TIFF frames, .tif, .h5:dataset
  std::string camera{};       // camera profile file (camera_profile.hpp)
  ProfileChoice choice{};     // ISO or gain within the profile
  double photons = 30;        // electrons a white pixel catches
  double white = 0;           // the clean clip's white; 0: from its bit depth
  bool linear_input = false;  // the clean clip is linear light already, not sRGB
  int64_t first_frame = 0;    // the clean clip's first frame used
  int64_t max_frames = 0;     // 0: every frame from the first
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

struct TrainingRun {
  std::string clean{};   // clean clip
  std::string camera{};  // camera profile file
  ProfileChoice choice{};
  std::string output{};  // the model, .h5
  CleanClipRange range{};
  DenoiserTrainOptions train{};
};

// Reads the clean frames, trains, saves; throws naming the setting before any step when an
// input is missing or wrong, and writes nothing then.
Denoiser train_from_files(const TrainingRun& run);

// How a clip is denoised: the network, OpenCV's non-local means (the baseline), or nothing
// (the noisy frames only brought to white, to score the input itself).
enum class DenoiseMethod { network, nlm, none };

struct DenoiseRun {
  std::string input{};  // noisy clip (raw DN)
  // folder: frames/ (16-bit TIFF, linear), preview.avi, preview.png, clip.json
  std::string output{};
  DenoiseMethod method = DenoiseMethod::network;
  std::string model{};   // the network's (method network)
  std::string camera{};  // the clip's camera profile; "": the model's (needed otherwise)
  ProfileChoice choice{};
  double photons = 0;      // electrons at white; 0: the clip's "photons_at_white" or its bright end
  double strength = 0;     // non-local means h, 8-bit levels; 0: 2 + 100 / sqrt(photons)
  int64_t max_frames = 0;  // 0: all
  TileOptions tile{};
  bool whole = false;                  // one pass per frame plane instead of tiles
  bool progress = false;               // frames per second and ETA on stderr
  DataType precision = DataType::f32;  // the network's convolutions'
  Device device = Device::cpu();       // where the network computes
};

struct DenoiseSummary {
  int64_t frames = 0;
  double photons = 0;
  double seconds = 0;  // denoising alone, without reading the model
  double frames_per_second = 0;
  std::string camera{};
};

DenoiseSummary denoise_to_folder(const DenoiseRun& run);

struct EvaluationRun {
  std::string result{};         // linear 16-bit frames as `denoise` writes them (frames/)
  std::string reference{};      // the clean clip
  int64_t reference_first = 0;  // the reference frame the result's first frame is
  bool linear_reference = false;
  std::string output{};  // scores .json (and .md beside it)
  std::string label{};   // the method's name in the table
};

struct EvaluationSummary {
  int64_t frames = 0;
  double psnr = 0, ssim = 0, flicker = 0;
  std::string markdown{};
};

// PSNR, SSIM and flicker in display sRGB (white 1) frame by frame against the reference.
EvaluationSummary evaluate_clip(const EvaluationRun& run);

// The white of a clean clip: 2^bits - 1 where the file states its bit depth, else 255 when its
// first frames hold nothing above 255, else 65535.
double white_of_clip(VolumeSource& clip);

}  // namespace tessera::video
