#pragma once
// `tessera bench layers`: forward, input gradient and weight gradient of single layers over the
// shapes the applications' networks have (odd channel counts included), in GFLOP/s and as a
// share of the machine's measured peak. bench/pytorch_layers.py times the same rows.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/tensor/layout.hpp"

namespace tessera::bench {

struct LayerShape {
  std::string layer;  // conv, conv_transpose, max_pool, batch_norm_relu
  int dims = 2;
  int64_t batch = 1, in_channels = 16, out_channels = 16, size = 64;
  int64_t kernel = 3, stride = 1, padding = 1;
};

// The grid of the issue: convolutions 2D (256 x 256) and 3D (32^3) over channels 1, 3, 8, 12,
// 16, 28, 32, 36, 64, transposed convolutions, pooling and batch norm + ReLU. `quick`: a few rows
// (tests, smoke runs).
std::vector<LayerShape> layer_grid(bool quick);

// GFLOP/s of a large matrix product on the engine's threads (the fastest of 9 calls): the peak the
// rows are measured against; and of one in bf16 (a 1x1 convolution), the peak of the bf16 rows.
double measured_peak_gflops();
double measured_bf16_peak_gflops();
// GB/s of a 256 MiB copy on the same threads (the fastest of 9; read and write counted, as STREAM
// does): what a layer gets whose operands stream from memory.
double measured_bandwidth_gbs();

// The most GFLOP/s a pass can reach on this machine if it reads and writes each operand once
// from memory: the peak, or less where its FLOP per byte times the bandwidth is less (a roofline).
double roofline_gflops(double flop_per_byte, double peak_gflops, double bandwidth_gbs);

// One JSON object per pass of `s` (forward, input_grad, weight_grad for convolutions; forward,
// backward otherwise): the shape, ms (median of `repeats`), gflop, gflops and flop_per_byte
// (convolutions: FLOP over the bytes of input, weights and output) or gbytes_per_s (memory-bound
// layers). Convolutions multiply in `compute`.
std::vector<nlohmann::json> time_layer(const LayerShape& s, int repeats,
                                       DataType compute = DataType::f32);

struct LayerBenchOptions {
  bool quick = false;
  int repeats = 5;
  std::string layer{};  // only this layer kind (conv, conv_transpose, max_pool, batch_norm_relu)
  int dims = 0;         // only 2D or 3D rows; 0: both
  bool bf16 = false;    // also each convolution in bf16 (bf16_ms, bf16_gflops, bf16_share_of_peak)
};

// Prints the peak and bandwidth ({"peak_gflops": ..., "bandwidth_gbs": ..., "threads": ...}) and
// then each row as one JSON line to `out` as it is measured, each convolution row with its share
// of the peak and its roofline's (roofline_share_of_peak).
void run_layer_benchmark(const LayerBenchOptions& o, std::ostream& out);

}  // namespace tessera::bench
