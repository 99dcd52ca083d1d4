// tessera video: high-speed, underexposed video. synth (a clean clip made dark and noisy through
// a camera's noise) and calibrate (a camera profile from dark and flat clips).
#include <iostream>

#include "commands.hpp"
#include "shared_options.hpp"
#include "tessera/video/workflow.hpp"

namespace tessera::app {

using namespace tessera::video;

namespace {

constexpr const char* kClipHelp =
    "video file (MP4, AVI, ...), folder of frames (PNG, 8/16-bit TIFF), multi-page TIFF, "
    "Photron .cihx/.mraw or Phantom .cine";

void add_camera_choice(CLI::App* cmd, ProfileChoice& choice) {
  cmd->add_option("--iso", choice.iso,
                  "ISO of a profile with a table per ISO (default: the middle)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--gain", choice.gain,
                  "system gain (DN per electron) within an ELD profile's range (default: the "
                  "geometric middle)")
      ->check(CLI::PositiveNumber);
}

void add_synth(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "synth", "Make a clean clip dark and noisy through a camera's sensor noise");
  auto o = std::make_shared<SynthesisRun>();
  cmd->add_option("--input", o->input, std::string("clean clip: ") + kClipHelp)->required();
  cmd->add_option("--output", o->output,
                  "raw frames (16-bit): a folder of TIFF frames, a .tif or .h5:DATASET")
      ->required();
  cmd->add_option("--camera", o->camera,
                  "camera profile JSON: from `video calibrate`, a CRVD table or an ELD model")
      ->required();
  cmd->add_option("--photons", o->photons, "electrons a white pixel catches")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_camera_choice(cmd, o->choice);
  cmd->add_option("--white", o->white, "the clean clip's white (default: from its bit depth)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--linear", o->linear_input, "the clean clip is linear light, not sRGB");
  cmd->add_option("--frames", o->max_frames, "frames to make (default: all)")
      ->check(CLI::PositiveNumber);
  add_shared_options(cmd, {.seed = &o->seed});
  cmd->callback([o] {
    const SynthesisSummary s = synthesise_clip(*o);
    std::cout << s.frames << " frames at " << o->photons << " electrons at white through "
              << s.camera.name << " (gain " << s.camera.gain << " DN/e, read noise "
              << s.camera.read_noise_dn << " DN, black " << s.camera.black_level << ") -> "
              << o->output << "\n";
  });
}

void add_calibrate(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "calibrate", "Measure a camera profile (gain, read and row noise, black level)");
  auto o = std::make_shared<CalibrationRun>();
  cmd->add_option("--dark", o->dark, std::string("clip of dark frames: ") + kClipHelp)->required();
  cmd->add_option("--flat", o->flats,
                  "clip of a still, evenly lit scene; repeat for several brightnesses")
      ->required();
  cmd->add_option("--output", o->output, "camera profile, JSON")->required();
  cmd->add_option("--bits", o->bits,
                  "bits of the raw values (default: as the files state, else 16)")
      ->check(CLI::Range(1, 32));
  cmd->add_option("--frames", o->max_frames, "frames read from each clip")
      ->check(CLI::Range(2, 1000000))
      ->capture_default_str();
  cmd->callback([o] {
    const CameraProfile p = calibrate_from_files(*o);
    std::cout << "gain " << p.gain << " DN/e, read noise " << p.read_noise_dn << " DN, row noise "
              << p.row_noise_dn << " DN, black " << p.black_level << ", white " << p.white_level
              << " -> " << o->output << "\n";
  });
}

}  // namespace

void add_video_command(CLI::App& app) {
  auto* group = app.add_subcommand("video", "High-speed, underexposed video: noise and denoising");
  group->require_subcommand(1);
  add_synth(group);
  add_calibrate(group);
}

}  // namespace tessera::app
