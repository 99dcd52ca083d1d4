#include "tessera/bench/layers.hpp"

#include "tessera/bench/engine.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>

#include <omp.h>

#include "tessera/ops/conv.hpp"
#include "tessera/ops/linalg.hpp"
#include "tessera/ops/norm.hpp"
#include "tessera/ops/pool.hpp"

namespace tessera::bench {

namespace {

Shape spatial(const LayerShape& s, int64_t channels, int64_t size) {
  Shape out = {s.batch, channels};
  for (int d = 0; d < s.dims; ++d) out.push_back(size);
  return out;
}

// Milliseconds of `repeats` calls after one untimed call (primitive creation), sorted.
std::vector<double> sorted_ms(const std::function<void()>& f, int repeats) {
  f();
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

// A layer's time: the median call.
double median_ms(const std::function<void()>& f, int repeats) {
  const std::vector<double> ms = sorted_ms(f, repeats);
  return ms[ms.size() / 2];
}

// A peak: the fastest of 9 calls, what the machine can do when nothing else runs on it (a
// median peak, taken while a neighbour ran, once put layers at 140% of it).
double fastest_ms(const std::function<void()>& f) {
  return sorted_ms(f, 9).front();
}

nlohmann::json row(const LayerShape& s, const std::string& pass, double ms) {
  return {{"layer", s.layer},
          {"dims", s.dims},
          {"batch", s.batch},
          {"in", s.in_channels},
          {"out", s.out_channels},
          {"size", s.size},
          {"kernel", s.kernel},
          {"stride", s.stride},
          {"padding", s.padding},
          {"pass", pass},
          {"ms", ms}};
}

std::vector<nlohmann::json> time_conv(const LayerShape& s, int repeats, DataType compute) {
  const bool transposed = s.layer == "conv_transpose";
  const Tensor x = random_normal(spatial(s, s.in_channels, s.size), 1);
  Shape w_shape = {s.out_channels, s.in_channels};
  for (int d = 0; d < s.dims; ++d) w_shape.push_back(s.kernel);
  const Tensor w = random_normal(w_shape, 2), b = random_normal({s.out_channels}, 3);
  const ConvParams p{.stride = Shape(size_t(s.dims), s.stride),
                     .padding = Shape(size_t(s.dims), s.padding),
                     .compute = compute};
  const auto forward = [&] {
    return transposed ? conv_transpose_forward(x, w, b, p) : conv_forward(x, w, b, p);
  };
  const Tensor y = forward();
  const Tensor dy = random_normal(y.shape(), 4);
  const auto backward = [&](bool need_dx) {
    return transposed ? conv_transpose_backward(x, w, dy, p, true, need_dx)
                      : conv_backward(x, w, dy, p, true, need_dx);
  };
  // The multiply-adds of every pass: each output (forward), input (transposed) element sums
  // over Ci x K^d.
  double macs = double(s.batch) * double(s.out_channels) * double(s.in_channels);
  for (int d = 0; d < s.dims; ++d) macs *= double(s.kernel);
  macs *= transposed ? double(x.numel() / (s.batch * s.in_channels))
                     : double(y.numel() / (s.batch * s.out_channels));
  const double gflop = 2 * macs * 1e-9;
  // Every pass reads two of input, weights and output and writes the third.
  const double bytes = 4.0 * double(x.numel() + w.numel() + y.numel());
  const double f_ms = median_ms([&] { forward(); }, repeats);
  const double w_ms = median_ms([&] { backward(false); }, repeats);
  // oneDNN runs the two gradients as separate primitives; the engine's call makes both, so the
  // input gradient is the difference.
  const double both_ms = median_ms([&] { backward(true); }, repeats);
  std::vector<nlohmann::json> out;
  for (const auto& [pass, ms] : {std::pair{"forward", f_ms}, std::pair{"weight_grad", w_ms},
                                 std::pair{"input_grad", std::max(both_ms - w_ms, 1e-3)}}) {
    nlohmann::json r = row(s, pass, ms);
    r["gflop"] = gflop;
    r["gflops"] = gflop / (ms * 1e-3);
    r["flop_per_byte"] = gflop * 1e9 / bytes;
    out.push_back(r);
  }
  return out;
}

// In a network, pooling and batch norm read a convolution's output, in the blocked layout the
// convolution chose: their input here comes from one, so they are timed on what they really get.
Tensor as_in_a_network(const LayerShape& s) {
  const Tensor x = random_normal(spatial(s, s.in_channels, s.size), 1);
  Shape w = {s.in_channels, s.in_channels};
  for (int d = 0; d < s.dims; ++d) w.push_back(3);
  return conv_forward(x, random_normal(w, 5), Tensor(), {.padding = Shape(size_t(s.dims), 1)});
}

std::vector<nlohmann::json> time_memory_bound(const LayerShape& s, int repeats) {
  const Tensor x = as_in_a_network(s);
  std::function<void()> forward, backward;
  Tensor dy;
  PoolResult pooled;
  NormStats stats;
  const Tensor gamma = Tensor::full({s.in_channels}, 1.f), beta = Tensor::zeros({s.in_channels});
  const PoolParams pp{.kind = PoolKind::max, .kernel = Shape(size_t(s.dims), s.kernel)};
  if (s.layer == "max_pool") {
    forward = [&] { pooled = pool_forward(x, pp, true); };
    forward();
    dy = random_normal(pooled.y.shape(), 2);
    backward = [&] { pool_backward(dy, pooled.workspace, x.layout(), pp); };
  } else {
    // Fused, as the networks run it (BatchNormOptions::relu).
    forward = [&] { stats = batch_norm_forward_train(x, gamma, beta, 1e-5f, true); };
    forward();
    dy = random_normal(x.shape(), 2);
    backward = [&] {
      batch_norm_backward(x, dy, gamma, beta, stats.mean, stats.variance, 1e-5f, stats.relu_mask);
    };
  }
  // Bytes read and written once each, the least any implementation moves.
  const double bytes =
      4.0 * double(x.numel() + (s.layer == "max_pool" ? pooled.y.numel() : x.numel()));
  std::vector<nlohmann::json> out;
  for (const auto& [pass, f] : {std::pair{"forward", &forward}, std::pair{"backward", &backward}}) {
    const double ms = median_ms(*f, repeats);
    nlohmann::json r = row(s, pass, ms);
    r["gbytes_per_s"] = bytes * 1e-9 / (ms * 1e-3);
    out.push_back(r);
  }
  return out;
}

}  // namespace

std::vector<LayerShape> layer_grid(bool quick) {
  std::vector<LayerShape> g;
  const std::vector<int64_t> channels =
      quick ? std::vector<int64_t>{8, 16} : std::vector<int64_t>{8, 12, 16, 28, 32, 36, 64};
  for (int dims : {2, 3}) {
    const int64_t size = dims == 2 ? (quick ? 32 : 256) : (quick ? 8 : 32);
    // Stems: one- and three-channel inputs into the first level's width.
    for (int64_t in : {int64_t{1}, int64_t{3}})
      g.push_back({.layer = "conv",
                   .dims = dims,
                   .in_channels = in,
                   .out_channels = dims == 2 ? 16 : 8,
                   .size = size});
    for (int64_t c : channels)
      g.push_back(
          {.layer = "conv", .dims = dims, .in_channels = c, .out_channels = c, .size = size});
    const int64_t c = dims == 2 ? 32 : 16;
    g.push_back({.layer = "conv_transpose",
                 .dims = dims,
                 .in_channels = 2 * c,
                 .out_channels = c,
                 .size = size / 2,
                 .kernel = 2,
                 .stride = 2,
                 .padding = 0});
    g.push_back({.layer = "max_pool",
                 .dims = dims,
                 .in_channels = c,
                 .out_channels = c,
                 .size = size,
                 .kernel = 2,
                 .stride = 2,
                 .padding = 0});
    g.push_back({.layer = "batch_norm_relu",
                 .dims = dims,
                 .in_channels = c,
                 .out_channels = c,
                 .size = size,
                 .kernel = 1,
                 .stride = 1,
                 .padding = 0});
  }
  return g;
}

double measured_peak_gflops() {
  const int64_t n = 4096;
  const Tensor a = random_normal({n, n}, 1), b = random_normal({n, n}, 2);
  const double ms = fastest_ms([&] { matmul(a, b); });
  return 2.0 * double(n) * double(n) * double(n) * 1e-9 / (ms * 1e-3);
}

double measured_bf16_peak_gflops() {
  // A 1x1 convolution is a matrix product, here 4096 x 2048 x 2048: the engine's bf16 products
  // are its convolutions'.
  const int64_t c = 2048, side = 64;
  const Tensor x = random_normal({1, c, side, side}, 1), w = random_normal({c, c, 1, 1}, 2);
  const ConvParams p{.compute = DataType::bf16};
  const double ms = fastest_ms([&] { conv_forward(x, w, Tensor(), p); });
  return 2.0 * double(side * side) * double(c) * double(c) * 1e-9 / (ms * 1e-3);
}

double measured_bandwidth_gbs() {
  const int64_t n = int64_t{1} << 26;
  const std::vector<float> from(size_t(n), 1.f);
  std::vector<float> to(static_cast<size_t>(n));
  const double ms = fastest_ms([&] {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) to[size_t(i)] = from[size_t(i)];
  });
  return 2.0 * 4.0 * double(n) * 1e-9 / (ms * 1e-3);
}

double roofline_gflops(double flop_per_byte, double peak_gflops, double bandwidth_gbs) {
  return std::min(peak_gflops, flop_per_byte * bandwidth_gbs);
}

namespace {
bool is_conv(const LayerShape& s) {
  return s.layer == "conv" || s.layer == "conv_transpose";
}
}  // namespace

std::vector<nlohmann::json> time_layer(const LayerShape& s, int repeats, DataType compute) {
  if (is_conv(s)) return time_conv(s, repeats, compute);
  return time_memory_bound(s, repeats);
}

void run_layer_benchmark(const LayerBenchOptions& o, std::ostream& out) {
  const double peak = measured_peak_gflops(), bandwidth = measured_bandwidth_gbs();
  nlohmann::json head = {
      {"peak_gflops", peak}, {"bandwidth_gbs", bandwidth}, {"threads", omp_get_max_threads()}};
  const double bf16_peak = o.bf16 ? measured_bf16_peak_gflops() : 0;
  if (o.bf16) head["bf16_peak_gflops"] = bf16_peak;
  out << head.dump() << std::endl;
  for (const LayerShape& s : layer_grid(o.quick)) {
    if ((!o.layer.empty() && s.layer != o.layer) || (o.dims != 0 && s.dims != o.dims)) continue;
    std::vector<nlohmann::json> rows = time_layer(s, o.repeats, DataType::f32);
    // The same passes in bf16, in the same rows (same order of passes).
    const std::vector<nlohmann::json> bf16 = o.bf16 && is_conv(s)
                                                 ? time_conv(s, o.repeats, DataType::bf16)
                                                 : std::vector<nlohmann::json>{};
    for (size_t i = 0; i < rows.size(); ++i) {
      nlohmann::json& r = rows[i];
      if (r.contains("gflops")) {
        r["share_of_peak"] = r["gflops"].get<double>() / peak;
        r["roofline_share_of_peak"] =
            roofline_gflops(r["flop_per_byte"].get<double>(), peak, bandwidth) / peak;
      }
      if (i < bf16.size()) {
        r["bf16_ms"] = bf16[i]["ms"];
        r["bf16_gflops"] = bf16[i]["gflops"];
        r["bf16_share_of_peak"] = bf16[i]["gflops"].get<double>() / bf16_peak;
      }
      out << r.dump() << std::endl;
    }
  }
}

}  // namespace tessera::bench
