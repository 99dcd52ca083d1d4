// tessera bench tiling: tiled inference of a U-Net over a generated volume on disk (HDF5).
#include "tessera/bench/tiling.hpp"

#include <chrono>
#include <filesystem>
#include <random>

#include "tessera/bench/engine.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/info.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/tile/tiled.hpp"

namespace tessera::bench {

namespace {

// Writes a seeded random volume slab by slab, so generating it needs little memory.
void write_random_volume(const std::string& spec, const Shape& size) {
  VolumeInfo info{.channels = 1, .size = size};
  auto sink = create_volume(spec, info, 1);
  std::mt19937_64 rng(1);
  std::normal_distribution<float> n(0.f, 1.f);
  for (int64_t z = 0; z < size[0]; z += 8) {
    Region slab = Region::whole(size);
    slab.origin[0] = z;
    slab.size[0] = std::min<int64_t>(8, size[0] - z);
    Shape shape = {1, 1};
    shape.insert(shape.end(), slab.size.begin(), slab.size.end());
    Tensor t = Tensor::empty(shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = n(rng);
    sink->write(slab, t);
  }
  sink->commit();
}

}  // namespace

nlohmann::json run_tiling_benchmark(const TilingBenchOptions& o) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(o.dir) / (".tessera_bench_tiling_" + std::to_string(o.size));
  fs::create_directories(dir);
  const std::string in = (dir / "in.h5").string() + ":raw",
                    out = (dir / "out.h5").string() + ":pred";
  Shape shape(static_cast<size_t>(o.dims), o.size);
  if (o.depth > 0) shape[0] = o.depth;
  write_random_volume(in, shape);

  auto net = make_unet({.dims = o.dims, .channels = {8, 16, 32}, .seed = 1});
  auto source = open_volume(in);
  const VolumeInfo info = source->info();
  const std::size_t rss_before = peak_rss_bytes();
  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::json j = {{"dims", o.dims},
                      {"size", o.size},
                      {"shape", info.size},
                      {"voxels", product(info.size)},
                      {"mode", o.whole ? "whole" : "tiled"},
                      {"threads", engine_threads()}};
  if (o.whole) {
    const Region all = Region::whole(info.size);
    reset_peak_memory();
    const Tensor y = run_whole(*net, source->read(all));
    auto sink = create_volume(out, info, y.dim(1));
    sink->write(all, y);
    sink->commit();
    j["tracked_peak_bytes"] = memory_stats().peak_bytes;
  } else {
    const TileReport r =
        run_tiled(*net, *source, [&](int64_t c) { return create_volume(out, info, c); },
                  {.max_memory = o.max_memory});
    j["max_memory"] = o.max_memory;
    j["tiles"] = r.plan.tiles;
    j["columns"] = r.plan.columns;
    j["axis"] = r.plan.axis;
    j["chunk_rows"] = r.plan.core[size_t(r.plan.axis)];
    j["tile_input"] = r.plan.input;
    j["planned_bytes"] = r.plan.working_bytes;
    j["tracked_peak_bytes"] = r.peak_bytes;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  j["seconds"] = seconds;
  j["voxels_per_second"] = double(product(info.size)) / seconds;
  j["peak_rss_bytes"] = peak_rss_bytes();
  j["rss_before_bytes"] = rss_before;
  fs::remove_all(dir);
  return j;
}

}  // namespace tessera::bench
