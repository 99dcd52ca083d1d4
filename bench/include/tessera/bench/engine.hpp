#pragma once
// The engine benchmarks behind `tessera bench engine` and `tessera bench reversible`: training
// steps of fixed networks, timed, with the memory they take. bench/pytorch_peer.py builds the
// same networks for the peer run.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tessera/nn/module.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera::bench {

struct EngineBenchOptions {
  // unet2d: 4 levels 32..256; unet3d: 3 levels 16..64; lstm: the discharge network's shape,
  // 12 channels over S days -> LSTM(64) -> 3 outputs, MSE;
  // affinity3d: the connectomics affinity U-Net as `connectomics train` builds it by default
  // (3 levels 8..32, one logit per default offset), masked BCE as it trains;
  // reversible3d: `bench reversible --dims 3 --blocks 64 --channels 16`, trained reversibly
  // (activations rebuilt during backward, not stored)
  std::string model = "unet2d";
  int64_t batch = 1;
  int64_t size = 64;  // spatial edge: input N x 1 x S x S (x S); lstm: N x 12 x S
  int64_t depth = 0;  // 3D models: the first spatial edge, N x 1 x D x S x S (0: S)
  int steps = 10;     // timed steps
  int warmup = 2;     // untimed steps first (primitive creation, first-touch)
  DataType precision = DataType::f32;  // the convolutions' (--precision)
  bool reversible = false;        // unet2d / unet3d as reversible U-Nets (UNetOptions::reversible)
  Device device = Device::cpu();  // where the model, data and steps run
};

// A tensor of N(0, 1) values drawn from `seed`: the benchmarks' inputs.
Tensor random_normal(const Shape& shape, uint64_t seed);

// Peak resident memory of the process so far (getrusage), as the kernel sees it.
std::size_t peak_rss_bytes();

// Runs the benchmark; returns one JSON object with ms_per_step_median, ms_per_step_min,
// peak_bytes (tracking allocator: everything the engine holds, weights to activations),
// rss_delta_bytes (growth of peak RSS from before the model was built, measured as the PyTorch
// peer measures it), loss_first, loss_last. A bad option throws SettingError naming it.
nlohmann::json run_engine_benchmark(const EngineBenchOptions& o);

struct ReversibleBenchOptions {
  int dims = 2;
  int blocks = 8;
  int64_t channels = 32;
  int64_t size = 64;
  int64_t batch = 2;
  int steps = 3;
  Device device = Device::cpu();
};

// Trains stem -> `blocks` couplings -> head twice, storing activations (plain) and rebuilding
// them (reversible); one JSON object with both runs' ms per step, peak and activation bytes,
// bytes per input pixel, and the ratios memory_ratio = plain / reversible peak and
// time_ratio = reversible / plain ms.
nlohmann::json run_reversible_benchmark(const ReversibleBenchOptions& o);

struct StepTimes {
  double median_ms = 0, min_ms = 0;
  std::size_t peak_bytes = 0;      // the device's tracking allocator, timed steps
  std::size_t resident_bytes = 0;  // held between steps: weights, gradients, momentum, data
  float loss_first = 0, loss_last = 0;
};

// `warmup` untimed then `steps` timed SGD-momentum training steps of `model` on `x`, all on
// x's device (a step's time ends when the device has finished it).
StepTimes time_training_steps(Module& model, const Tensor& x, const LossFn& loss, int warmup,
                              int steps);

}  // namespace tessera::bench
