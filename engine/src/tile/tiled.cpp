#include "tessera/tile/tiled.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <optional>
#include <stdexcept>

#include "tessera/io/settings.hpp"
#include "tessera/ops/shape_ops.hpp"
#include "tessera/tile/row_stream.hpp"

namespace tessera {

namespace {

// Input voxels per chunk that the budget-chosen plans aim at (measured on 2 cores: thinner
// chunks keep oneDNN's threads waiting, thicker ones hold more rows for nothing).
constexpr int64_t kChunkVoxels = int64_t{1} << 18;
// Rows' worth of work at the edges of each layer's chunk (measured: 2D U-Net chunks of 4 rows
// cost 1.3x chunks of 64).
constexpr double kChunkEdgeRows = 1.5;
// Beyond this many rows a thicker chunk saves under 2% by that estimate.
constexpr int64_t kMaxChunkRows = 64;

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

// The cross-section of a tile: its size across every axis but the streamed one.
int64_t section_voxels(const Shape& tile, int axis) {
  return product(tile) / tile[size_t(axis)];
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

// One axis across the columns: column k covers output [core_start, core_end) computed from
// input [in_start, in_start + input).
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

// Working-set bytes of the stream per voxel of the cross-section, measured by streaming a probe
// column of zeros long enough for every buffer (skips included) to fill.
// `column`: the column's spatial size (its extent along `axis` is ignored); `rows` of it are
// streamed in chunks of `chunk`.
double probe_section_bytes(Module& model, int64_t channels, int axis, int64_t chunk, int64_t rows,
                           Shape column) {
  // Measured where the model computes: on a GPU the budget is the GPU's memory.
  const Device device = device_of(model);
  const std::size_t before = memory_stats(device).current_bytes;
  reset_peak_memory(device);
  {
    RowStream stream(model, static_cast<int>(column.size()), axis);
    for (int64_t r = 0; r < rows; r += chunk) {
      column[size_t(axis)] = std::min(chunk, rows - r);
      stream.push(Tensor::zeros(full_shape(channels, column), device), r + chunk >= rows);
    }
  }
  column[size_t(axis)] = 1;
  // One more chunk of input is read ahead while the stream computes.
  return double(memory_stats(device).peak_bytes - before) / double(product(column)) +
         4.0 * double(channels * chunk);
}

// Splits `voxels` of cross-section among the axes but the streamed one: axes that fit whole
// take their whole padded size, the rest share the remainder evenly.
Shape section_edges(double voxels, const Shape& padded, int axis) {
  const size_t n = padded.size();
  Shape edge(n, 0);
  std::vector<bool> fixed(n, false);
  fixed[size_t(axis)] = true;
  for (bool changed = true; changed;) {
    changed = false;
    double rest = voxels;
    int open = 0;
    for (size_t a = 0; a < n; ++a)
      if (a != size_t(axis)) fixed[a] ? rest /= double(edge[a]) : ++open;
    if (open == 0) break;
    const double e = std::pow(std::max(rest, 1.0), 1.0 / open);
    for (size_t a = 0; a < n; ++a)
      if (!fixed[a]) {
        edge[a] = static_cast<int64_t>(e);
        if (padded[a] <= e) {
          edge[a] = padded[a];
          fixed[a] = changed = true;
        }
      }
  }
  return edge;
}

void report_progress(int64_t done, int64_t total, double voxels, double seconds) {
  const double rate = voxels / std::max(seconds, 1e-9);
  const double eta = seconds / double(done) * double(total - done);
  std::fprintf(stderr, "\rchunk %lld/%lld (%.0f%%)  %.2f Mvoxel/s  ETA %.0f s   ", (long long)done,
               (long long)total, 100.0 * double(done) / double(total), rate / 1e6, eta);
  if (done == total) std::fprintf(stderr, "\n");
}

// Fills in the columns, chunks and working set of a plan from its core tile.
void lay_out(TilePlan& p, Shape core) {
  const size_t n = core.size(), axis = size_t(p.axis);
  const Shape halo = p.field.halo();
  p.core = std::move(core);
  p.core[axis] = std::min(p.core[axis], p.padded[axis]);
  p.input = p.core;
  p.columns = 1;
  for (size_t a = 0; a < n; ++a) {
    if (a == axis) continue;
    // A column whose input spans the axis anyway computes all of it: one column along it.
    if (p.core[a] + 2 * halo[a] >= p.padded[a]) p.core[a] = p.padded[a];
    p.input[a] = std::min(p.core[a] + 2 * halo[a], p.padded[a]);
    p.columns *= (p.padded[a] + p.core[a] - 1) / p.core[a];
  }
  p.tiles = p.columns * ((p.padded[axis] + p.core[axis] - 1) / p.core[axis]);
  p.working_bytes =
      static_cast<std::size_t>(p.bytes_per_section_voxel * double(section_voxels(p.input, p.axis)));
}

// The widest columns whose cross-section fits `budget` at `bytes` per section voxel, with
// chunks of `chunk` rows; empty when not even the narrowest column fits.
Shape widest_core(const TilePlan& p, int64_t chunk, double budget, double bytes) {
  const Shape halo = p.field.halo(), stride = p.field.stride;
  const Shape edge = section_edges(budget / bytes, p.padded, p.axis);
  Shape core(p.padded.size());
  for (size_t a = 0; a < core.size(); ++a) {
    if (a == size_t(p.axis)) {
      core[a] = chunk;
    } else if (edge[a] >= p.padded[a]) {
      core[a] = p.padded[a];
    } else {
      const int64_t widest = (edge[a] - 2 * halo[a]) / stride[a] * stride[a];
      if (widest < stride[a]) return {};
      // As many columns as the widest need, made equal, so the last is not mostly overlap.
      const int64_t columns = (p.padded[a] + widest - 1) / widest;
      const int64_t even = (p.padded[a] + columns - 1) / columns;
      core[a] = std::min(widest, (even + stride[a] - 1) / stride[a] * stride[a]);
    }
  }
  return core;
}

// Voxels computed per output voxel across the columns: the halos computed twice.
double across_cost(const TilePlan& p) {
  return double(p.columns * section_voxels(p.input, p.axis)) /
         double(section_voxels(p.padded, p.axis));
}

// Relative cost of a plan along its axis: the halos, times the work at the edges of every
// layer's chunk, about kChunkEdgeRows rows per chunk.
double relative_cost(const TilePlan& p) {
  return across_cost(p) * (1.0 + kChunkEdgeRows / double(p.core[size_t(p.axis)]));
}

// The narrowest useful column streamed along `axis`: one stride of core between two halos
// across, on which memory is measured.
Shape narrowest_column(const TilePlan& p, int axis) {
  const Shape halo = p.field.halo(), stride = p.field.stride;
  Shape column(p.padded.size());
  for (size_t a = 0; a < column.size(); ++a)
    column[a] = std::min(p.padded[a], 2 * halo[a] + stride[a]);
  column[size_t(axis)] = 1;
  return column;
}

}  // namespace

TilePlan plan_tiles(Module& model, const VolumeInfo& info, const TileOptions& o) {
  const size_t n = info.size.size();
  TilePlan p;
  p.field = receptive_field(model, static_cast<int>(n));
  for (size_t a = 0; a < n; ++a)
    if (std::abs(p.field.jump[a] - 1.0) > 1e-9)
      throw std::invalid_argument(
          "tiled inference needs a network whose output has its input's size; this one "
          "resizes axis " +
          std::to_string(a) + "; run it on the whole input instead");
  const Shape halo = p.field.halo(), stride = p.field.stride;
  p.padded = round_up(info.size, stride);
  auto measure = [&](int axis, int64_t chunk) {
    const size_t a = size_t(axis);
    const int64_t rows = std::min(p.padded[a], 3 * chunk + 2 * halo[a]);
    return probe_section_bytes(model, info.channels, axis, chunk, rows, narrowest_column(p, axis));
  };

  if (!o.tile.empty()) {
    if (o.tile.size() != n)
      throw std::invalid_argument("tile has " + std::to_string(o.tile.size()) +
                                  " axes, the volume " + std::to_string(n));
    const Shape core = round_up(o.tile, stride);
    p.axis = 0;
    p.bytes_per_section_voxel = measure(0, std::min(core[0], p.padded[0]));
    lay_out(p, core);
    return p;
  }
  // Budget: along each axis, thin chunks leave the widest columns (least halo computed twice)
  // and thicker chunks keep the primitives busier: try chunks from one stride up to about
  // kChunkVoxels input voxels and keep the cheapest. Then stream along the first axis unless
  // another one needs clearly fewer halos (a thin stack of slices streams along y).
  const double budget = double(o.max_memory ? o.max_memory : (std::size_t{1} << 30));
  std::optional<TilePlan> best;
  double smallest_bytes = 0;
  for (int axis = 0; axis < int(n); ++axis) {
    const size_t a = size_t(axis);
    // Streaming along an axis no longer than the first leaves no smaller cross-section.
    if (axis > 0 && p.padded[a] <= p.padded[0]) continue;
    std::optional<TilePlan> along;
    for (int64_t chunk = stride[a];; chunk *= 2) {
      TilePlan candidate = p;
      candidate.axis = axis;
      candidate.bytes_per_section_voxel = measure(axis, chunk);
      const Shape core = widest_core(candidate, chunk, budget, candidate.bytes_per_section_voxel);
      if (core.empty()) {
        const double needed =
            candidate.bytes_per_section_voxel * double(product(narrowest_column(p, axis)));
        if (smallest_bytes == 0 || needed < smallest_bytes) smallest_bytes = needed;
        break;
      }
      lay_out(candidate, core);
      if (!along || relative_cost(candidate) < relative_cost(*along)) along = candidate;
      if (chunk >= std::min(p.padded[a], kMaxChunkRows) ||
          chunk * section_voxels(candidate.input, axis) >= kChunkVoxels)
        break;
    }
    if (along && (!best || across_cost(*along) < 0.9 * across_cost(*best))) best = along;
    if (best && across_cost(*best) < 1.0 + 1e-9) break;  // one column: no axis does better
  }
  if (!best)
    throw SettingError("max_memory",
                       std::to_string(int64_t(budget / (1 << 20))) +
                           " MiB is too small for this network: a tile needs at least " +
                           std::to_string(int64_t(std::ceil(smallest_bytes / (1 << 20)))) +
                           " MiB; raise it");
  return *best;
}

TileReport run_tiled(Module& model, VolumeSource& in, const SinkFactory& make_sink,
                     const TileOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const VolumeInfo& info = in.info();
  TileReport report;
  report.plan = o.plan ? *o.plan : plan_tiles(model, info, o);
  const TilePlan& p = report.plan;
  const Shape halo = p.field.halo();
  const size_t n = info.size.size(), axis = size_t(p.axis);
  const int64_t chunk = p.core[axis];
  const int64_t chunks = (p.padded[axis] + chunk - 1) / chunk;

  // Columns across every axis but the streamed one, which each column spans whole.
  std::vector<std::vector<AxisTile>> across(n);
  for (size_t a = 0; a < n; ++a)
    across[a] = a == axis ? std::vector<AxisTile>{{0, p.padded[a], 0}}
                          : axis_tiles(p.padded[a], p.core[a], p.input[a], halo[a]);
  // Column c's position: c in mixed radix over the axes, the last fastest.
  auto column_at = [&](int64_t c) {
    std::vector<AxisTile> t(n);
    for (size_t a = n; a-- > 0;) {
      const int64_t count = static_cast<int64_t>(across[a].size());
      t[a] = across[a][static_cast<size_t>(c % count)];
      c /= count;
    }
    return t;
  };
  // Chunk k of the whole run: rows of column k / chunks.
  auto input_region = [&](int64_t k) {
    const std::vector<AxisTile> t = column_at(k / chunks);
    Region r{Shape(n), p.input};
    for (size_t a = 0; a < n; ++a) r.origin[a] = t[a].in_start;
    r.origin[axis] = (k % chunks) * chunk;
    r.size[axis] = std::min(chunk, p.padded[axis] - r.origin[axis]);
    return r;
  };

  const Device device = device_of(model);      // chunks go there and their rows come back
  if (!o.plan) release_cached_memory(device);  // the probes' blocks are of other shapes
  const std::size_t base = memory_stats(device).current_bytes;
  reset_peak_memory(device);
  std::unique_ptr<VolumeSink> sink;
  std::future<Tensor> next =
      std::async(std::launch::async, [&] { return read_padded(in, input_region(0)); });
  const bool show = o.progress && ::isatty(STDERR_FILENO);
  double voxels = 0;
  for (int64_t c = 0; c < p.columns; ++c) {
    const std::vector<AxisTile> t = column_at(c);
    RowStream stream(model, static_cast<int>(n), p.axis);
    for (int64_t k = c * chunks; k < (c + 1) * chunks; ++k) {
      const Tensor x = next.get();
      require_finite(x, "region " + input_region(k).str());
      if (k + 1 < p.tiles)
        next =
            std::async(std::launch::async, [&, k] { return read_padded(in, input_region(k + 1)); });
      const Tensor y = stream.push(x, k + 1 == (c + 1) * chunks);
      voxels += double(x.numel() / info.channels);
      if (show)
        report_progress(
            k + 1, p.tiles, voxels,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (!y.defined()) continue;
      bool same_size = y.spatial_dims() == int(n);
      for (size_t a = 0; same_size && a < n; ++a)
        same_size = a == axis || y.dim(int(a) + 2) == p.input[a];
      if (!same_size)
        throw std::invalid_argument(
            "tiled inference needs an output the size of its input; the network maps " +
            to_string(x.shape()) + " to " + to_string(y.shape()));
      if (!sink) sink = make_sink(y.dim(1));
      // The new rows and the column's core, clipped to the real volume (not the padding).
      Region out{Shape(n), Shape(n)};
      Shape offset = {0, 0}, shape = {1, y.dim(1)};
      for (size_t a = 0; a < n; ++a) {
        const int64_t rows = y.dim(int(a) + 2);
        const int64_t start = a == axis ? stream.rows_out() - rows : t[a].core_start;
        const int64_t end = a == axis ? stream.rows_out() : t[a].core_end;
        out.origin[a] = start;
        out.size[a] = std::min(end, info.size[a]) - start;
        offset.push_back(a == axis ? 0 : start - t[a].in_start);
        shape.push_back(out.size[a]);
      }
      if (!out.empty()) sink->write(out, crop(y, offset, shape).to(Device::cpu()));
    }
    if (stream.rows_out() != p.padded[axis])
      throw std::invalid_argument(
          "tiled inference needs an output the size of its input; the network gives " +
          std::to_string(stream.rows_out()) + " rows for " + std::to_string(p.padded[axis]));
  }
  sink->commit();
  report.peak_bytes = memory_stats(device).peak_bytes - base;
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
  const Tensor y = forward_on_model_device(model, input, Mode::eval);
  if (padded == spatial) return y;
  Shape shape = {y.dim(0), y.dim(1)};
  shape.insert(shape.end(), spatial.begin(), spatial.end());
  return crop(y, Shape(y.shape().size(), 0), shape);
}

}  // namespace tessera
