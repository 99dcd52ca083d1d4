#include "tessera/data/em_volume.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "tessera/connectomics/labels.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::data {

namespace {

struct Seed {
  double z, y, x;
};

constexpr uint64_t kMembrane = ~uint64_t{0};

// Separable Gaussian blur of a D x H x W volume, in place (edges clamped).
void blur3d(std::vector<float>& v, const Shape& s, double sigma) {
  if (sigma <= 0) return;
  const int r = int(std::ceil(3 * sigma));
  std::vector<float> k(size_t(2 * r + 1));
  float sum = 0;
  for (int i = -r; i <= r; ++i)
    sum += k[size_t(i + r)] = float(std::exp(-0.5 * i * i / (sigma * sigma)));
  for (float& w : k) w /= sum;
  const int64_t stride[3] = {s[1] * s[2], s[2], 1};
  std::vector<float> tmp(v.size());
  for (int axis = 0; axis < 3; ++axis) {
    const int64_t n = s[size_t(axis)], st = stride[axis];
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < int64_t(v.size()); ++i) {
      const int64_t pos = (i / st) % n;
      float acc = 0;
      for (int j = -r; j <= r; ++j) {
        const int64_t p = std::clamp<int64_t>(pos + j, 0, n - 1);
        acc += k[size_t(j + r)] * v[size_t(i + (p - pos) * st)];
      }
      tmp[size_t(i)] = acc;
    }
    v.swap(tmp);
  }
}

}  // namespace

EmVolume make_em_volume(const EmVolumeOptions& o) {
  if (o.size.size() != 3 || o.size[0] < 1 || o.size[1] < 1 || o.size[2] < 1)
    throw SettingError("size", "must be z, y, x, each >= 1");
  if (!(o.cell_size > 2)) throw SettingError("cell_size", "must be > 2");
  if (!(o.z_scale > 0)) throw SettingError("z_scale", "must be > 0");
  const int64_t d = o.size[0], h = o.size[1], w = o.size[2];
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(0, 1);
  // Seeds on a jittered grid, one per grid cell: cells of similar size, none missing from any
  // part, and a voxel's nearest seeds are in the grid cells around its own.
  const double step = o.cell_size, zstep = o.cell_size * o.z_scale;
  const int64_t gz = int64_t(std::ceil(d / zstep)) + 2, gy = int64_t(std::ceil(h / step)) + 2,
                gx = int64_t(std::ceil(w / step)) + 2;
  std::vector<Seed> seeds;
  for (int64_t k = 0; k < gz; ++k)
    for (int64_t j = 0; j < gy; ++j)
      for (int64_t i = 0; i < gx; ++i)
        seeds.push_back({(double(k) - 0.5 + 0.8 * (u(rng) - 0.5)) * zstep,
                         (double(j) - 0.5 + 0.8 * (u(rng) - 0.5)) * step,
                         (double(i) - 0.5 + 0.8 * (u(rng) - 0.5)) * step});
  std::vector<float> brightness(seeds.size()), texture_phase(seeds.size());
  for (size_t i = 0; i < seeds.size(); ++i) {
    brightness[i] = float(0.55 + 0.35 * u(rng));
    texture_phase[i] = float(6.283 * u(rng));
  }

  std::vector<uint64_t> nearest(size_t(d * h * w));
  std::vector<float> v(nearest.size());
  // Distances are measured with z stretched, so cells are as long in z as across.
#pragma omp parallel for schedule(static)
  for (int64_t z = 0; z < d; ++z)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        double best = INFINITY, second = INFINITY;
        size_t id = 0, next = 0;
        // Seed (k, j, i) lies within 0.9 grid steps of (k - 0.5, j - 0.5, i - 0.5) steps: two
        // cells either way hold the nearest and the second nearest.
        const int64_t ck = int64_t(z / zstep + 0.5), cj = int64_t(y / step + 0.5),
                      ci = int64_t(x / step + 0.5);
        for (int64_t k = std::max<int64_t>(0, ck - 2); k <= std::min(gz - 1, ck + 2); ++k)
          for (int64_t j = std::max<int64_t>(0, cj - 2); j <= std::min(gy - 1, cj + 2); ++j)
            for (int64_t i = std::max<int64_t>(0, ci - 2); i <= std::min(gx - 1, ci + 2); ++i) {
              const size_t n = size_t((k * gy + j) * gx + i);
              const double dz = (double(z) - seeds[n].z) / o.z_scale, dy = double(y) - seeds[n].y,
                           dx = double(x) - seeds[n].x;
              const double dist = std::sqrt(dz * dz + dy * dy + dx * dx);
              if (dist < best)
                second = best, next = id, best = dist, id = n;
              else if (dist < second)
                second = dist, next = n;
            }
        const size_t at = size_t((z * h + y) * w + x);
        // The distance to the plane halfway between the two nearest seeds (in stretched
        // coordinates): (d2^2 - d1^2) / (2 |s2 - s1|).
        const Seed& a = seeds[id];
        const Seed& b = seeds[next];
        const double sz = (a.z - b.z) / o.z_scale, sy = a.y - b.y, sx = a.x - b.x;
        const double apart = std::sqrt(sz * sz + sy * sy + sx * sx);
        const double to_wall = (second * second - best * best) / (2 * apart);
        nearest[at] = to_wall < o.membrane ? kMembrane : id;
        const float texture =
            0.06f * float(std::sin(0.9 * x + 0.7 * y + 1.3 * z + texture_phase[id]));
        v[at] = to_wall < o.membrane ? 0.12f : brightness[id] + texture;
      }
  blur3d(v, o.size, o.blur);
  std::normal_distribution<float> noise(0.f, float(o.noise));
  for (float& x : v) x += noise(rng);

  // Ids 1..cells in order of first appearance; membranes 0.
  std::vector<uint64_t> remap(seeds.size(), 0);
  EmVolume out{Tensor::empty({1, 1, d, h, w}), std::vector<uint64_t>(nearest.size()), 0};
  for (size_t i = 0; i < nearest.size(); ++i) {
    if (nearest[i] == kMembrane) continue;  // stays 0
    uint64_t& r = remap[nearest[i]];
    if (!r) r = uint64_t(++out.cells);
    out.ids[i] = r;
  }
  std::copy(v.begin(), v.end(), out.raw.data());
  return out;
}

int64_t write_em_volume(const EmVolumeFiles& f) {
  connectomics::check_label_format(f.labels);  // before any work
  CommandPaths paths;
  add_volume_output(paths, "raw", f.raw);
  add_volume_output(paths, "labels", f.labels);
  check_outputs_spare_inputs(paths);
  const std::vector<std::string> files = {volume_file(f.raw), volume_file(f.labels)};
  for (const std::string& file : files) check_may_replace(file);
  const EmVolume v = make_em_volume(f.volume);
  const Shape& size = f.volume.size;
  auto sink = create_volume(f.raw, VolumeInfo{.channels = 1, .size = size}, 1, "float32");
  sink->write(Region::whole(size), v.raw);
  sink->commit();
  connectomics::write_labels(f.labels, {size, v.ids, {}});
  for (const std::string& file : files) record_made_file(file);
  return v.cells;
}

}  // namespace tessera::data
