// tessera bench tiling: tiled inference of a U-Net over a generated volume on disk (HDF5).
#include "tessera/bench/tiling.hpp"

#include <chrono>
#include <filesystem>
#include <random>

#include "tessera/bench/engine.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/info.hpp"
#include "tessera/io/settings.hpp"
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

// The volume as it is read: noise from a hash of each voxel's index, so any region is the same
// whatever reads it, and a volume of any size costs no memory or disk.
class GeneratedSource final : public VolumeSource {
 public:
  explicit GeneratedSource(const Shape& size) : info_{.channels = 1, .size = size} {}
  const VolumeInfo& info() const override { return info_; }
  Tensor read(const Region& r) override {
    Shape shape = {1, 1};
    shape.insert(shape.end(), r.size.begin(), r.size.end());
    Tensor t = Tensor::empty(shape);
    float* d = t.data();
    const int64_t n = t.numel();
#pragma omp parallel for
    for (int64_t i = 0; i < n; ++i) {
      uint64_t index = 0, rest = uint64_t(i);
      for (size_t a = r.size.size(); a-- > 0;) {  // the voxel's index in the whole volume
        const uint64_t k = rest % uint64_t(r.size[a]) + uint64_t(r.origin[a]);
        rest /= uint64_t(r.size[a]);
        index += k * stride(a);
      }
      d[i] = float(splitmix(index) >> 40) * 0x1p-24f - 0.5f;
    }
    return t;
  }

 private:
  uint64_t stride(size_t axis) const {
    uint64_t s = 1;
    for (size_t a = axis + 1; a < info_.size.size(); ++a) s *= uint64_t(info_.size[a]);
    return s;
  }
  static uint64_t splitmix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  VolumeInfo info_;
};

// The output as it is written: summed (in double), so nothing of it is kept.
class SummingSink final : public VolumeSink {
 public:
  explicit SummingSink(double& sum) : sum_(sum) {}
  void write(const Region&, const Tensor& data) override {
    const Tensor p = data.to_host_plain();
    for (int64_t i = 0; i < p.numel(); ++i) sum_ += p.data()[i];
  }
  void commit() override {}

 private:
  double& sum_;
};

// Tiled inference over `source` into `make_sink`, and the plan's figures.
void run_tiles(Module& net, VolumeSource& source, const SinkFactory& make_sink,
               const TilingBenchOptions& o, nlohmann::json& j) {
  const TileReport r = run_tiled(net, source, make_sink, {.max_memory = o.max_memory});
  j["max_memory"] = o.max_memory;
  j["tiles"] = r.plan.tiles;
  j["columns"] = r.plan.columns;
  j["axis"] = r.plan.axis;
  j["chunk_rows"] = r.plan.core[size_t(r.plan.axis)];
  j["tile_input"] = r.plan.input;
  j["planned_bytes"] = r.plan.working_bytes;
  j["tracked_peak_bytes"] = r.peak_bytes;
}

}  // namespace

nlohmann::json run_tiling_benchmark(const TilingBenchOptions& o) {
  namespace fs = std::filesystem;
  Shape shape(static_cast<size_t>(o.dims), o.size);
  if (o.depth > 0) shape[0] = o.depth;
  auto net = make_unet({.dims = o.dims, .channels = {8, 16, 32}, .seed = 1});
  move_to(*net, o.device);
  nlohmann::json j = {{"dims", o.dims},
                      {"size", o.size},
                      {"shape", shape},
                      {"voxels", product(shape)},
                      {"mode", o.whole ? "whole" : "tiled"},
                      {"input", o.generated ? "generated" : "hdf5"},
                      {"device", to_string(o.device)},
                      {"threads", engine_threads()}};
  if (o.generated && o.whole)
    throw SettingError("whole", "reads the whole volume into memory; give volumes on disk");
  const fs::path dir = fs::path(o.dir) / (".tessera_bench_tiling_" + std::to_string(o.size));
  const std::string in = (dir / "in.h5").string() + ":raw",
                    out = (dir / "out.h5").string() + ":pred";
  if (!o.generated) {
    fs::create_directories(dir);
    write_random_volume(in, shape);
  }
  const std::size_t rss_before = peak_rss_bytes();
  const auto t0 = std::chrono::steady_clock::now();
  if (o.generated) {
    GeneratedSource source(shape);
    double sum = 0;
    run_tiles(
        *net, source, [&](int64_t) { return std::make_unique<SummingSink>(sum); }, o, j);
    j["output_sum"] = sum;
  } else if (o.whole) {
    auto source = open_volume(in);
    const VolumeInfo info = source->info();
    const Region all = Region::whole(info.size);
    reset_peak_memory(o.device);
    const Tensor y = run_whole(*net, source->read(all));
    auto sink = create_volume(out, info, y.dim(1));
    sink->write(all, y);
    sink->commit();
    j["tracked_peak_bytes"] = memory_stats(o.device).peak_bytes;
  } else {
    auto source = open_volume(in);
    const VolumeInfo info = source->info();
    run_tiles(
        *net, *source, [&](int64_t c) { return create_volume(out, info, c); }, o, j);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  j["seconds"] = seconds;
  j["voxels_per_second"] = double(product(shape)) / seconds;
  j["peak_rss_bytes"] = peak_rss_bytes();
  j["rss_before_bytes"] = rss_before;
  if (!o.generated) fs::remove_all(dir);
  return j;
}

}  // namespace tessera::bench
