#include "tessera/tile/tiled.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <stdexcept>

#include "tessera/ops/shape_ops.hpp"

namespace tessera {

namespace {

Shape round_up(const Shape& v, const Shape& m) {
  Shape r(v.size());
  for (size_t a = 0; a < v.size(); ++a) r[a] = (v[a] + m[a] - 1) / m[a] * m[a];
  return r;
}

Shape full_shape(int64_t channels, const Shape& spatial) {
  Shape s = {1, channels};
  s.insert(s.end(), spatial.begin(), spatial.end());
  return s;
}

Shape with_zero_batch_and_channel(const Shape& spatial) {
  Shape s = {0, 0};
  s.insert(s.end(), spatial.begin(), spatial.end());
  return s;
}

// A NaN or infinity in the input would spread through every tile it reaches; stop at once.
void require_finite(const Tensor& t, const std::string& where) {
  const Tensor p = t.to_plain();
  const float* d = p.data();
  for (int64_t i = 0; i < p.numel(); ++i)
    if (!std::isfinite(d[i]))
      throw std::invalid_argument("input " + where + " contains " +
                                  (std::isnan(d[i]) ? "NaN" : "an infinite value") +
                                  "; mask or fill missing values before inference");
}

// Reads `r` of the volume zero-padded beyond its end (the padding whole-input inference adds).
Tensor read_padded(VolumeSource& in, const Region& r) {
  const VolumeInfo& info = in.info();
  const Region part = r.intersect(Region::whole(info.size));
  if (part.size == r.size) return in.read(r);
  const Shape full = full_shape(info.channels, r.size);
  if (part.empty()) return Tensor::zeros(full);
  Shape offset(r.origin.size());
  for (size_t a = 0; a < offset.size(); ++a) offset[a] = part.origin[a] - r.origin[a];
  return crop_backward(in.read(part).to_plain(), full, with_zero_batch_and_channel(offset));
}

// One axis of the plan: tile k covers output [core_start, core_end) computed from input
// [in_start, in_start + input).
struct AxisTile {
  int64_t core_start, core_end, in_start;
};

std::vector<AxisTile> axis_tiles(int64_t padded, int64_t core, int64_t input, int64_t halo) {
  std::vector<AxisTile> t;
  for (int64_t s = 0; s < padded; s += core) {
    const int64_t in_start = std::clamp(s - halo, int64_t{0}, padded - input);
    t.push_back({s, std::min(s + core, padded), in_start});
  }
  return t;
}

// Working-set bytes of the network per input voxel, measured on a probe tile.
double measure_bytes_per_voxel(Module& model, int64_t channels, const Shape& probe) {
  const Tensor x = Tensor::zeros(full_shape(channels, probe));
  const std::size_t before = memory_stats().current_bytes;
  reset_peak_memory();
  model.forward(x, Mode::eval);
  return double(memory_stats().peak_bytes - before) / double(product(probe));
}

void report_progress(int64_t done, int64_t total, double voxels, double seconds) {
  const double rate = voxels / std::max(seconds, 1e-9);
  const double eta = seconds / double(done) * double(total - done);
  std::fprintf(stderr, "\rtile %lld/%lld (%.0f%%)  %.2f Mvoxel/s  ETA %.0f s   ", (long long)done,
               (long long)total, 100.0 * double(done) / double(total), rate / 1e6, eta);
  if (done == total) std::fprintf(stderr, "\n");
}

}  // namespace

TilePlan plan_tiles(Module& model, const VolumeInfo& info, const TileOptions& o) {
  const int dims = static_cast<int>(info.size.size());
  TilePlan p;
  p.field = receptive_field(model, dims);
  const Shape halo = p.field.halo(), stride = p.field.stride;
  p.padded = round_up(info.size, stride);
  Shape smallest(info.size.size());
  for (size_t a = 0; a < smallest.size(); ++a)
    smallest[a] = std::min(p.padded[a], 2 * halo[a] + stride[a]);
  p.bytes_per_voxel = measure_bytes_per_voxel(model, info.channels, smallest);
  // Two input tiles (the current one and the next, read ahead) live beside the network's.
  const double per_voxel = p.bytes_per_voxel + 8.0 * double(info.channels);

  if (!o.tile.empty()) {
    if (o.tile.size() != info.size.size())
      throw std::invalid_argument("tile has " + std::to_string(o.tile.size()) +
                                  " axes, the volume " + std::to_string(info.size.size()));
    p.core = round_up(o.tile, stride);
  } else {
    const double budget = double(o.max_memory ? o.max_memory : (std::size_t{1} << 30));
    const double edge = std::pow(budget / per_voxel, 1.0 / dims);  // input tile edge
    p.core.resize(info.size.size());
    for (size_t a = 0; a < p.core.size(); ++a) {
      const int64_t core = (static_cast<int64_t>(edge) - 2 * halo[a]) / stride[a] * stride[a];
      if (core < stride[a] && p.padded[a] > smallest[a])
        throw std::invalid_argument(
            "memory budget " + std::to_string(int64_t(budget / (1 << 20))) +
            " MiB is too small for this network: a tile needs at least " +
            std::to_string(int64_t(std::pow(double(smallest[a]), dims) * per_voxel / (1 << 20))) +
            " MiB");
      p.core[a] = std::max(core, stride[a]);
    }
  }
  p.input.resize(p.core.size());
  p.tiles = 1;
  for (size_t a = 0; a < p.core.size(); ++a) {
    // A tile whose input spans the axis anyway computes all of it: one tile along that axis.
    if (p.core[a] + 2 * halo[a] >= p.padded[a]) p.core[a] = p.padded[a];
    p.input[a] = std::min(p.core[a] + 2 * halo[a], p.padded[a]);
    p.tiles *= (p.padded[a] + p.core[a] - 1) / p.core[a];
  }
  return p;
}

TileReport run_tiled(Module& model, VolumeSource& in, const SinkFactory& make_sink,
                     const TileOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const VolumeInfo& info = in.info();
  TileReport report;
  report.plan = plan_tiles(model, info, o);
  const TilePlan& p = report.plan;
  const Shape halo = p.field.halo();
  const size_t n = info.size.size();

  std::vector<std::vector<AxisTile>> axes;
  for (size_t a = 0; a < n; ++a)
    axes.push_back(axis_tiles(p.padded[a], p.core[a], p.input[a], halo[a]));
  // Tile k's position along each axis: k in mixed radix, the last axis fastest.
  auto tile_at = [&](int64_t k) {
    std::vector<AxisTile> t(n);
    for (size_t a = n; a-- > 0;) {
      const int64_t count = static_cast<int64_t>(axes[a].size());
      t[a] = axes[a][static_cast<size_t>(k % count)];
      k /= count;
    }
    return t;
  };
  auto input_region = [&](const std::vector<AxisTile>& t) {
    Region r{Shape(n), p.input};
    for (size_t a = 0; a < n; ++a) r.origin[a] = t[a].in_start;
    return r;
  };

  reset_peak_memory();
  std::unique_ptr<VolumeSink> sink;
  std::future<Tensor> next =
      std::async(std::launch::async, [&] { return read_padded(in, input_region(tile_at(0))); });
  const bool show = o.progress && ::isatty(STDERR_FILENO);
  double voxels = 0;
  for (int64_t k = 0; k < p.tiles; ++k) {
    const std::vector<AxisTile> t = tile_at(k);
    const Tensor x = next.get();
    require_finite(x, "region " + input_region(t).str());
    if (k + 1 < p.tiles)
      next = std::async(std::launch::async,
                        [&, k] { return read_padded(in, input_region(tile_at(k + 1))); });
    const Tensor y = model.forward(x, Mode::eval);
    if (y.spatial_dims() != int(n) || Shape(y.shape().begin() + 2, y.shape().end()) != p.input)
      throw std::invalid_argument(
          "tiled inference needs an output the size of its input; the "
          "network maps " +
          to_string(x.shape()) + " to " + to_string(y.shape()));
    if (!sink) sink = make_sink(y.dim(1));
    // The core, clipped to the real volume (the padding beyond it is not written).
    Region out{Shape(n), Shape(n)};
    Shape offset = {0, 0}, shape = {1, y.dim(1)};
    for (size_t a = 0; a < n; ++a) {
      out.origin[a] = t[a].core_start;
      out.size[a] = std::min(t[a].core_end, info.size[a]) - t[a].core_start;
      offset.push_back(t[a].core_start - t[a].in_start);
      shape.push_back(out.size[a]);
    }
    if (!out.empty()) sink->write(out, crop(y, offset, shape));
    voxels += double(product(p.input));
    if (show)
      report_progress(k + 1, p.tiles, voxels,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  sink->commit();
  report.peak_bytes = memory_stats().peak_bytes;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

Tensor run_whole(Module& model, const Tensor& x) {
  require_finite(x, to_string(x.shape()));
  const int dims = x.spatial_dims();
  const ReceptiveField f = receptive_field(model, dims);
  const Shape spatial(x.shape().begin() + 2, x.shape().end());
  const Shape padded = round_up(spatial, f.stride);
  Tensor input = x;
  if (padded != spatial) {
    Shape full = {x.dim(0), x.dim(1)};
    full.insert(full.end(), padded.begin(), padded.end());
    input = crop_backward(x.to_plain(), full, Shape(x.shape().size(), 0));
  }
  const Tensor y = model.forward(input, Mode::eval);
  if (padded == spatial) return y;
  Shape shape = {y.dim(0), y.dim(1)};
  shape.insert(shape.end(), spatial.begin(), spatial.end());
  return crop(y, Shape(y.shape().size(), 0), shape);
}

}  // namespace tessera
