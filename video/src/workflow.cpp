// File in, file out for synth and calibrate; the physics lives in sensor_noise.cpp and
// calibration.cpp.
#include "tessera/video/workflow.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>

#include "frame_blocks.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/video/calibration.hpp"
#include "tessera/video/sensor_noise.hpp"

namespace tessera::video {

namespace {
constexpr int64_t kBlock = 4;  // frames in memory at once

// Linear frames in 0..white -> 0..1.
Tensor linear_scaled(const Tensor& frames, double white) {
  Tensor out = frames.to_plain().clone();
  float* p = out.data();
  for (int64_t i = 0; i < out.numel(); ++i) p[i] = float(p[i] / white);
  return out;
}

// An output without an extension is a folder of frames (the dispatcher's "DIR/").
std::string frames_spec(const std::string& output) {
  const std::filesystem::path p(output);
  if (output.find(':') == std::string::npos && p.has_filename() && !p.has_extension())
    return output + "/";
  return output;
}

}  // namespace

double white_of_clip(VolumeSource& clip) {
  const auto& a = clip.info().attributes;
  if (const auto at = a.find("bit_depth"); at != a.end())
    return std::ldexp(1.0, std::stoi(at->second)) - 1;
  double highest = 0;
  for_each_frame_block(clip, kBlock, kBlock, [&](int64_t, const Tensor& block) {
    const float* p = block.data();
    highest = std::max(highest, double(*std::max_element(p, p + block.numel())));
  });
  return highest <= 255 ? 255 : 65535;
}

SynthesisSummary synthesise_clip(const SynthesisRun& run) {
  const std::string output = frames_spec(run.output);
  CommandPaths paths{.inputs = {{"input", run.input}, {"camera", run.camera}}};
  add_volume_output(paths, "output", output);
  check_outputs_spare_inputs(paths);
  if (!(run.photons > 0) || !std::isfinite(run.photons))
    throw std::invalid_argument("photons must be above 0 (electrons at white)");
  SynthesisSummary s{read_camera_profile(run.camera, run.choice), 0, 0};
  if (s.camera.white_level > 65535)
    throw std::invalid_argument("camera '" + run.camera + "' records more than 16 bits");
  auto clip = open_volume(run.input);
  require_clip(*clip, "the clean clip '" + run.input + "'", 1);
  s.white = run.white > 0 ? run.white : white_of_clip(*clip);
  VolumeInfo like = clip->info();
  like.attributes["black_level"] = std::to_string(s.camera.black_level);
  like.attributes["white_level"] = std::to_string(s.camera.white_level);
  like.attributes["gain_dn_per_electron"] = std::to_string(s.camera.gain);
  like.attributes["photons_at_white"] = std::to_string(run.photons);
  like.attributes["camera"] = s.camera.name;
  like.attributes["bit_depth"] = std::to_string(s.camera.bits);
  if (run.first_frame < 0 || run.first_frame >= like.size[0])
    throw SettingError("first-frame", "the clean clip has " + std::to_string(like.size[0]) +
                                          " frames; frame " + std::to_string(run.first_frame) +
                                          " is not in it");
  const int64_t left = like.size[0] - run.first_frame;
  const int64_t frames = run.max_frames > 0 ? std::min(run.max_frames, left) : left;
  like.size[0] = frames;
  auto sink = create_volume(output, like, like.channels, "uint16");
  std::mt19937_64 rng(run.seed);
  for_each_frame_block(
      *clip, kBlock, frames,
      [&](int64_t t, const Tensor& block) {
        const Tensor light = run.linear_input ? linear_scaled(block, s.white)
                                              : display_to_linear(block, float(s.white));
        sink->write({{t, 0, 0}, {block.dim(2), like.size[1], like.size[2]}},
                    add_sensor_noise(light, s.camera, run.photons, rng));
      },
      run.first_frame);
  sink->commit();
  s.frames = frames;
  return s;
}

CameraProfile calibrate_from_files(const CalibrationRun& run) {
  CommandPaths paths{.inputs = {{"dark", run.dark}}, .output_files = {{"output", run.output}}};
  for (const auto& f : run.flats) paths.inputs.push_back({"flat", f});
  check_outputs_spare_inputs(paths);
  auto dark = open_volume(run.dark);
  std::vector<std::unique_ptr<VolumeSource>> flats;
  std::vector<VolumeSource*> flat_views;
  for (const auto& f : run.flats) {
    flats.push_back(open_volume(f));
    const auto &a = flats.back()->info(), &d = dark->info();
    if (a.channels != d.channels || a.size.size() != d.size.size() ||
        !std::equal(a.size.begin() + 1, a.size.end(), d.size.begin() + 1))
      throw std::invalid_argument("flat '" + f + "' (" + to_string(a.size) +
                                  ") has frames of another size than the dark frames (" +
                                  to_string(d.size) + ")");
    flat_views.push_back(flats.back().get());
  }
  CameraProfile p =
      calibrate_camera(*dark, flat_views, {.bits = run.bits, .max_frames = run.max_frames});
  p.name = "calibrated from " + run.dark;
  write_camera_profile(p, run.output);
  return p;
}

}  // namespace tessera::video
