// The denoiser's network and its stored form.
#include "tessera/video/denoiser.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tessera/io/checkpoint.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/model/unet.hpp"

namespace tessera::video {

std::unique_ptr<Module> make_denoiser_network(const DenoiserOptions& o) {
  if (o.frames < 1 || o.frames % 2 == 0)
    throw std::invalid_argument("the window must be an odd number of frames, got " +
                                std::to_string(o.frames));
  if (o.channels.empty()) throw std::invalid_argument("the denoiser needs at least one level");
  if (o.shuffle < 1 || o.shuffle > 4)
    throw std::invalid_argument("the pixel shuffle must be 1 to 4");
  return make_unet({.dims = 2,
                    .in_channels = (o.frames + 2) * o.shuffle * o.shuffle,
                    .out_channels = o.shuffle * o.shuffle,
                    .channels = o.channels,
                    .reversible = o.reversible,
                    .seed = o.seed + 1});
}

std::array<float, 2> noise_levels(const CameraProfile& camera, double photons_at_white) {
  const double read_variance = camera.variance_at(0);
  return {float(std::sqrt(1 / photons_at_white)),
          float(std::sqrt(read_variance) / (camera.gain * photons_at_white))};
}

void stack_window(const std::vector<const float*>& frames, int64_t pixels,
                  const std::array<float, 2>& noise, float* out) {
  for (const float* f : frames) out = std::copy_n(f, pixels, out);
  for (float level : noise) out = std::fill_n(out, pixels, level);
}

void save_denoiser(const std::string& path, Denoiser& d) {
  save_checkpoint(path, *d.network, nullptr, d.steps,
                  {{"task", "video_denoiser"},
                   {"frames", d.frames},
                   {"shuffle", d.shuffle},
                   {"camera", camera_profile_json(d.camera)},
                   {"photons_min", d.photons_min},
                   {"photons_max", d.photons_max}});
}

Denoiser load_denoiser(const std::string& path) {
  Checkpoint ck = load_task_checkpoint(path, "video_denoiser",
                                       "a video denoiser (train one with tessera video train)");
  const Settings m(ck.metadata, "video denoiser " + path);
  Denoiser d;
  d.network = std::move(ck.model);
  d.steps = ck.step;
  d.frames = m.require<int64_t>("frames");
  if (d.frames < 1 || d.frames % 2 == 0) m.fail("frames", "must be odd and positive");
  d.shuffle = m.require<int64_t>("shuffle");
  if (d.shuffle < 1 || d.shuffle > 4) m.fail("shuffle", "must be 1 to 4");
  d.photons_min = m.require<double>("photons_min");
  d.photons_max = m.require<double>("photons_max");
  if (!ck.metadata.contains("camera")) m.fail("camera", "missing");
  d.camera = camera_profile_from_json(ck.metadata["camera"], path);
  check_camera_profile(d.camera, path);
  return d;
}

}  // namespace tessera::video
