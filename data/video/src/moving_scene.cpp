// Discs in linear motion over a background of crossed sinusoids: smooth shading, edges and fine
// texture, so noise, blur and misalignment all show.
#include "tessera/data/moving_scene.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <vector>

#include "tessera/formats/volume_io.hpp"

namespace tessera::data {

namespace {

struct Disc {
  double x, y, vx, vy, radius, frequency;
  double colour[3];
};

}  // namespace

Tensor moving_scene(const MovingScene& s) {
  if (s.width < 16 || s.height < 16 || s.frames < 1)
    throw std::invalid_argument("a moving scene needs at least one frame of 16 x 16 pixels");
  std::mt19937_64 rng(s.seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Disc> discs;
  for (int i = 0; i < s.discs; ++i)
    discs.push_back({u(rng) * double(s.width),
                     u(rng) * double(s.height),
                     4 * u(rng) - 2,
                     4 * u(rng) - 2,
                     (0.05 + 0.1 * u(rng)) * double(std::min(s.width, s.height)),
                     0.2 + 0.6 * u(rng),
                     {40 + 200 * u(rng), 40 + 200 * u(rng), 40 + 200 * u(rng)}});
  const int64_t plane = s.width * s.height;
  Tensor clip = Tensor::empty({1, 3, s.frames, s.height, s.width});
  float* p = clip.data();
  for (int64_t t = 0; t < s.frames; ++t)
    for (int64_t y = 0; y < s.height; ++y)
      for (int64_t x = 0; x < s.width; ++x) {
        double v[3];
        const double shade = 0.5 + 0.25 * std::sin(0.05 * double(x)) * std::cos(0.07 * double(y)) +
                             0.1 * std::sin(0.9 * double(x + 2 * y));
        for (int c = 0; c < 3; ++c) v[c] = 255 * shade * (0.7 + 0.1 * c);
        for (const Disc& d : discs) {
          const double dx = double(x) - (d.x + d.vx * double(t));
          const double dy = double(y) - (d.y + d.vy * double(t));
          if (dx * dx + dy * dy > d.radius * d.radius) continue;
          const double texture =
              0.8 + 0.2 * std::sin(d.frequency * dx) * std::sin(d.frequency * dy);
          for (int c = 0; c < 3; ++c) v[c] = d.colour[c] * texture;
        }
        for (int64_t c = 0; c < 3; ++c)
          p[(c * s.frames + t) * plane + y * s.width + x] =
              float(std::round(std::clamp(v[c], 0.0, 255.0)));
      }
  return clip;
}

void write_moving_scene(const MovingScene& s) {
  const Tensor clip = moving_scene(s);
  std::string spec = s.output;
  if (!std::filesystem::path(spec).has_extension()) spec += "/";
  VolumeInfo like;
  like.channels = 3;
  like.size = {s.frames, s.height, s.width};
  auto sink = create_volume(spec, like, 3, "uint8");
  sink->write(Region::whole(like.size), clip);
  sink->commit();
}

}  // namespace tessera::data
