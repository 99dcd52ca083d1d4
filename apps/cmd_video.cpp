// tessera video: high-speed, underexposed video. synth (a clean clip made dark and noisy through
// a camera's noise), calibrate (a camera profile from dark and flat clips), train and denoise
// (the multi-frame denoiser), evaluate (PSNR, SSIM, flicker), scene (a clean clip for demos).
#include <unistd.h>

#include <iostream>
#include <map>

#include "commands.hpp"
#include "shared_options.hpp"
#include "tessera/data/moving_scene.hpp"
#include "tessera/video/workflow.hpp"

namespace tessera::app {

using namespace tessera::video;

namespace {

constexpr const char* kClipHelp =
    "video file (MP4, AVI, ...), folder of frames (PNG, 8/16-bit TIFF), multi-page TIFF, "
    "Photron .cihx/.mraw or Phantom .cine";

void add_scene(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "scene", "Generate a clean colour clip of known motion (textured discs sliding)");
  auto o = std::make_shared<data::MovingScene>();
  cmd->add_option("--output", o->output, "folder of 8-bit TIFF frames, or a video file")
      ->required();
  cmd->add_option("--frames", o->frames, "frames")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  auto size = std::make_shared<std::vector<int64_t>>(std::vector<int64_t>{o->width, o->height});
  cmd->add_option("--size", *size, "width,height")
      ->delimiter(',')
      ->expected(2)
      ->check(CLI::Range(16, 8192))
      ->capture_default_str();
  add_shared_options(cmd, {.seed = &o->seed});
  cmd->callback([o, size] {
    o->width = (*size)[0], o->height = (*size)[1];
    data::write_moving_scene(*o);
    std::cout << o->frames << " frames of " << o->width << "x" << o->height << " -> " << o->output
              << "\n";
  });
}

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
  cmd->add_option("--first-frame", o->first_frame, "the clean clip's first frame used")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--frames", o->max_frames, "frames to make (default: all from the first)")
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

void add_train(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "train", "Train the multi-frame denoiser on a clean clip made noisy on the fly");
  auto o = std::make_shared<TrainingRun>();
  auto training = std::make_shared<TrainingOptions>();
  auto& t = o->train;
  cmd->add_option("--clean", o->clean, std::string("clean clip: ") + kClipHelp)->required();
  cmd->add_option("--camera", o->camera, "camera profile JSON the noise is drawn from")->required();
  cmd->add_option("--output", o->output, "the model, .h5")->required();
  add_camera_choice(cmd, o->choice);
  cmd->add_option("--first-frame", o->range.first, "first clean frame trained on")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--frames", o->range.count, "clean frames trained on (default: to the end)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--linear", o->range.linear, "the clean clip is linear light, not sRGB");
  cmd->add_option("--window", t.network.frames, "frames the network sees (odd; 1: single-frame)")
      ->check(CLI::Range(1, 15))
      ->capture_default_str();
  cmd->add_option("--shuffle", t.network.shuffle,
                  "pixel blocks made channels (2: the network runs at half resolution)")
      ->check(CLI::Range(1, 4))
      ->capture_default_str();
  cmd->add_option("--steps", t.steps, "training steps")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  cmd->add_option("--photons-min", t.photons_min, "darkest exposure learnt, electrons at white")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--photons-max", t.photons_max, "brightest exposure learnt")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--reversible", t.network.reversible,
                "reversible U-Net levels: activation memory that does not grow with depth");
  add_shared_options(cmd, {.patch = &t.patch,
                           .batch = &t.batch,
                           .channels = &t.network.channels,
                           .seed = &t.network.seed,
                           .training = training.get(),
                           .run = &t.run,
                           .precision = &t.precision,
                           .device = &t.run.device});
  cmd->callback([o, training] {
    o->train.optimizer = training->optimizer;
    o->train.optimizer_settings = training->settings;
    o->train.lr = training->lr;
    const Denoiser d = train_from_files(*o);
    std::cout << d.frames << "-frame denoiser (" << d.steps << " steps, " << d.photons_min << " to "
              << d.photons_max << " electrons at white, " << d.camera.name << ") -> " << o->output
              << "\n";
    std::cerr << device_note(o->train.run.device);
  });
}

void add_denoise(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "denoise", "Denoise a clip of any size and length, frame by frame in bounded memory");
  auto o = std::make_shared<DenoiseRun>();
  cmd->add_option("--input", o->input, std::string("noisy raw clip: ") + kClipHelp)->required();
  cmd->add_option(
         "--output", o->output,
         "folder: frames/ (16-bit TIFF, linear light), preview.avi, preview.png, clip.json")
      ->required();
  cmd->add_option("--model", o->model, "the denoiser (from video train)");
  cmd->add_option("--method", o->method, "network, nlm (OpenCV non-local means) or none")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, DenoiseMethod>{{"network", DenoiseMethod::network},
                                               {"nlm", DenoiseMethod::nlm},
                                               {"none", DenoiseMethod::none}},
          CLI::ignore_case))
      ->capture_default_str();
  cmd->add_option("--camera", o->camera, "the clip's camera profile (default: the model's)");
  add_camera_choice(cmd, o->choice);
  cmd->add_option("--photons", o->photons,
                  "electrons at white (default: as the clip states, else its bright end)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--strength", o->strength, "non-local means h (default: from the exposure)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--frames", o->max_frames, "frames denoised from the start (default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--whole", o->whole, "one pass per frame instead of tiles");
  add_shared_options(cmd, {.precision = &o->precision, .device = &o->device});
  auto quiet = std::make_shared<bool>(false);
  cmd->add_flag("--quiet", *quiet, "no progress line");
  cmd->callback([o, quiet] {
    o->progress = !*quiet && ::isatty(2);  // a terminal only, never in a log
    const DenoiseSummary s = denoise_to_folder(*o);
    std::cout << s.frames << " frames at " << s.photons << " electrons at white (" << s.camera
              << ") in " << s.seconds << " s, " << s.frames_per_second << " frames/s -> "
              << o->output << "\n";
    if (o->method == DenoiseMethod::network) std::cerr << device_note(o->device);
  });
}

void add_evaluate(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "evaluate", "Score denoised frames against clean ones: PSNR, SSIM, flicker");
  auto o = std::make_shared<EvaluationRun>();
  cmd->add_option("--result", o->result, "denoised frames (the frames/ folder of denoise)")
      ->required();
  cmd->add_option("--reference", o->reference, std::string("clean clip: ") + kClipHelp)->required();
  cmd->add_option("--reference-first", o->reference_first,
                  "the reference frame the result's first frame is")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--linear-reference", o->linear_reference, "the reference is linear light");
  cmd->add_option("--label", o->label, "the method's name in the table");
  cmd->add_option("--output", o->output, "scores, JSON (and Markdown beside it)")->required();
  cmd->callback([o] {
    const EvaluationSummary s = evaluate_clip(*o);
    std::cout << s.markdown << "scores -> " << o->output << "\n";
  });
}

}  // namespace

void add_video_command(CLI::App& app) {
  auto* group = app.add_subcommand("video", "High-speed, underexposed video: noise and denoising");
  group->require_subcommand(1);
  add_scene(group);
  add_synth(group);
  add_calibrate(group);
  add_train(group);
  add_denoise(group);
  add_evaluate(group);
}

}  // namespace tessera::app
