#pragma once
// The engine benchmark behind `tessera bench engine`: training steps of fixed U-Nets, timed,
// with the memory they take. bench/pytorch_unet.py builds the same networks for the peer run.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace tessera {

struct EngineBenchOptions {
  std::string model = "unet2d";  // unet2d: 4 levels 32..256; unet3d: 3 levels 16..64
  int64_t batch = 1;
  int64_t size = 64;  // spatial edge: input N x 1 x S x S (x S)
  int steps = 10;     // timed steps
  int warmup = 2;     // untimed steps first (primitive creation, first-touch)
};

// Peak resident memory of the process so far (getrusage), as the kernel sees it.
std::size_t peak_rss_bytes();

// Runs the benchmark; returns one JSON object with ms_per_step_median, ms_per_step_min,
// peak_bytes (tracking allocator: everything the engine holds, weights to activations),
// rss_delta_bytes (growth of peak RSS from before the model was built, measured as the PyTorch
// peer measures it), loss_first, loss_last.
nlohmann::json run_engine_benchmark(const EngineBenchOptions& o);

}  // namespace tessera
