// train, denoise and evaluate on files: reading and checking what the user named, then the
// library's training, stream and scores.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tessera/formats/volume_io.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/video/denoise_stream.hpp"
#include "tessera/video/frame_metrics.hpp"
#include "tessera/video/nlm_baseline.hpp"
#include "tessera/video/sensor_noise.hpp"
#include "tessera/video/workflow.hpp"

namespace tessera::video {

namespace fs = std::filesystem;

Denoiser train_from_files(const TrainingRun& run) {
  CommandPaths paths{.inputs = {{"clean", run.clean}, {"camera", run.camera}},
                     .output_files = {{"output", run.output}}};
  add_run_paths(paths, run.train.run, run.output);
  check_outputs_spare_inputs(paths);
  const CameraProfile camera = read_camera_profile(run.camera, run.choice);
  auto clip = open_volume(run.clean);
  const CleanClip frames = read_clean_clip(*clip, run.range);
  DenoiserTrainOptions o = run.train;
  o.run.output = run.output;
  Denoiser d = train_denoiser(frames, camera, o);
  save_denoiser(run.output, d);
  return d;
}

namespace {

// The clip's own photons_at_white (as `synth` writes it), else its bright end.
double exposure_for(const DenoiseRun& run, VolumeSource& clip, const CameraProfile& camera) {
  if (run.photons > 0) return run.photons;
  const auto& a = clip.info().attributes;
  if (const auto at = a.find("photons_at_white"); at != a.end()) return std::stod(at->second);
  return exposure_of_clip(clip, camera);
}

// Noisy | result of one frame's first plane, sRGB, 8 bit, side by side.
cv::Mat side_by_side(const cv::Mat& noisy, const cv::Mat& result) {
  cv::Mat out(noisy.rows, noisy.cols * 2, CV_8U);
  for (int y = 0; y < noisy.rows; ++y)
    for (int x = 0; x < noisy.cols; ++x) {
      out.at<uint8_t>(y, x) =
          cv::saturate_cast<uint8_t>(255 * linear_to_srgb(noisy.at<float>(y, x)));
      out.at<uint8_t>(y, x + noisy.cols) =
          cv::saturate_cast<uint8_t>(255 * linear_to_srgb(result.at<float>(y, x)));
    }
  return out;
}

}  // namespace

DenoiseSummary denoise_to_folder(const DenoiseRun& run) {
  CommandPaths paths{.inputs = {{"input", run.input}, {"model", run.model}, {"camera", run.camera}},
                     .output_folders = {{"output", run.output}}};
  check_outputs_spare_inputs(paths);
  std::optional<Denoiser> model;
  if (run.method == DenoiseMethod::network && run.model.empty())
    throw SettingError("model", "is needed to denoise with the network");
  if (!run.model.empty()) model = load_denoiser(run.model);  // its camera serves every method
  if (model) {
    set_compute_type(*model->network, run.precision);
    move_to(*model->network, run.device);
  }
  if (run.camera.empty() && !model)
    throw SettingError("camera", "is needed without a model: the clip's camera profile");
  const CameraProfile camera =
      run.camera.empty() ? model->camera : read_camera_profile(run.camera, run.choice);
  auto clip = open_volume(run.input);
  StreamOptions o{.camera = camera,
                  .photons = exposure_for(run, *clip, camera),
                  .frames = run.max_frames,
                  .whole = run.whole,
                  .tile = run.tile};
  const int64_t count = frames_to_denoise(*clip, o);  // checked before any output is made
  const VolumeInfo& info = clip->info();
  VolumeInfo like = info;
  like.size[0] = count;
  auto frames = create_volume((fs::path(run.output) / "frames").string() + "/", like, info.channels,
                              "uint16");
  // The preview video at the clip's frame rate (25 where it states none), as a viewer sees it.
  auto video =
      create_volume((fs::path(run.output) / "preview.avi").string(), like, info.channels, "uint8");
  const int64_t middle = count / 2;
  cv::Mat preview;
  const int h = int(info.size[1]), w = int(info.size[2]);
  const auto start = std::chrono::steady_clock::now();
  auto done = [&](int64_t t, const Tensor& frame) {
    Tensor stored = frame.clone();
    float* p = stored.data();
    for (int64_t i = 0; i < stored.numel(); ++i) p[i] = std::clamp(p[i], 0.0f, 1.0f) * 65535;
    frames->write({{t, 0, 0}, {1, info.size[1], info.size[2]}}, stored);
    for (int64_t i = 0; i < stored.numel(); ++i) p[i] = 255 * linear_to_srgb(p[i] / 65535);
    video->write({{t, 0, 0}, {1, info.size[1], info.size[2]}}, stored);
    if (t == middle) {
      const Tensor noisy = raw_to_normalised(
          clip->read({{t, 0, 0}, {1, info.size[1], info.size[2]}}), camera, o.photons);
      preview = side_by_side(cv::Mat(h, w, CV_32F, const_cast<float*>(noisy.data())),
                             cv::Mat(h, w, CV_32F, const_cast<float*>(frame.data())));
    }
    if (run.progress) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\rframe %lld/%lld, %.2f frames/s ", (long long)(t + 1),
                   (long long)count, double(t + 1) / s);
      if (t + 1 == count) std::fprintf(stderr, "\n");
    }
  };
  switch (run.method) {
    case DenoiseMethod::network:
      denoise_frames(*model, *clip, o, done);
      break;
    case DenoiseMethod::nlm: {
      const float h_strength =
          run.strength > 0 ? float(run.strength) : float(2 + 100 / std::sqrt(o.photons));
      filter_frames(
          *clip, o, 5,
          [&](const std::vector<cv::Mat>& planes) { return nlm_denoise(planes, h_strength); },
          done);
      break;
    }
    case DenoiseMethod::none:
      filter_frames(
          *clip, o, 1, [](const std::vector<cv::Mat>& planes) { return planes[0].clone(); }, done);
      break;
  }
  DenoiseSummary s;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.frames = count;
  s.photons = o.photons;
  s.frames_per_second = double(count) / s.seconds;
  s.camera = camera.name;
  frames->commit();
  video->commit();
  std::vector<uchar> png;
  cv::imencode(".png", preview, png);
  write_atomically((fs::path(run.output) / "preview.png").string(),
                   std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  nlohmann::json facts = {{"frames", count},
                          {"photons_at_white", o.photons},
                          {"camera", camera_profile_json(camera)},
                          {"seconds", s.seconds},
                          {"frames_per_second", s.frames_per_second}};
  for (const char* key : {"frame_rate_hz", "exposure_s"})
    if (info.attributes.count(key)) facts[key] = info.attributes.at(key);
  write_atomically((fs::path(run.output) / "clip.json").string(), facts.dump(2) + "\n");
  return s;
}

EvaluationSummary evaluate_clip(const EvaluationRun& run) {
  CommandPaths paths{.inputs = {{"result", run.result}, {"reference", run.reference}},
                     .output_files = {{"output", run.output}}};
  check_outputs_spare_inputs(paths);
  auto result = open_volume(run.result);
  auto reference = open_volume(run.reference);
  const VolumeInfo& a = result->info();
  const VolumeInfo& b = reference->info();
  if (a.size.size() != 3 || b.size.size() != 3 || a.channels != b.channels ||
      a.size[1] != b.size[1] || a.size[2] != b.size[2])
    throw std::invalid_argument("the result (" + std::to_string(a.channels) + " x " +
                                to_string(a.size) + ") and the reference (" +
                                std::to_string(b.channels) + " x " + to_string(b.size) +
                                ") must be clips of frames of one size");
  if (run.reference_first < 0 || run.reference_first + a.size[0] > b.size[0])
    throw SettingError("reference-first", "the reference has " + std::to_string(b.size[0]) +
                                              " frames, too few for " + std::to_string(a.size[0]) +
                                              " from frame " + std::to_string(run.reference_first));
  const double white = white_of_clip(*reference);
  ClipScores scores(1.0);
  for (int64_t t = 0; t < a.size[0]; ++t) {
    Tensor r = result->read({{t, 0, 0}, {1, a.size[1], a.size[2]}});
    Tensor c = reference->read({{run.reference_first + t, 0, 0}, {1, b.size[1], b.size[2]}});
    float* rp = r.data();
    float* cp = c.data();
    for (int64_t i = 0; i < r.numel(); ++i) {
      rp[i] = linear_to_srgb(rp[i] / 65535);
      cp[i] = run.linear_reference ? linear_to_srgb(float(cp[i] / white)) : float(cp[i] / white);
    }
    scores.add(r, c);
  }
  EvaluationSummary s{scores.frames(), scores.psnr(), scores.ssim(), scores.flicker(), {}};
  const std::string label = run.label.empty() ? run.result : run.label;
  std::ostringstream md;
  md << "| method | frames | PSNR (dB) | SSIM | flicker |\n|---|---|---|---|---|\n"
     << "| " << label << " | " << s.frames << " | " << std::fixed << std::setprecision(2) << s.psnr
     << " | " << std::setprecision(4) << s.ssim << " | " << s.flicker << " |\n";
  s.markdown = md.str();
  const nlohmann::json j = {{"method", label},
                            {"frames", s.frames},
                            {"psnr_db", s.psnr},
                            {"ssim", s.ssim},
                            {"flicker", s.flicker},
                            {"frame_psnr_db", scores.frame_psnr()},
                            {"domain", "sRGB display values, white 1"}};
  write_atomically(run.output, j.dump(2) + "\n");
  write_atomically(fs::path(run.output).replace_extension(".md").string(), s.markdown);
  return s;
}

}  // namespace tessera::video
