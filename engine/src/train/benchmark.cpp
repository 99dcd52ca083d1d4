#include "tessera/train/benchmark.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <stdexcept>

#include "tessera/info.hpp"
#include "tessera/nn/unet.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera {

std::size_t peak_rss_bytes() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<std::size_t>(u.ru_maxrss) * 1024;
}

namespace {

UNetOptions bench_unet(const std::string& model) {
  if (model == "unet2d") return {.dims = 2, .channels = {32, 64, 128, 256}};
  if (model == "unet3d") return {.dims = 3, .channels = {16, 32, 64}};
  throw std::invalid_argument("unknown benchmark model '" + model + "' (unet2d or unet3d)");
}

Tensor random_binary(const Shape& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(rng() & 1);
  return t;
}

Tensor random_normal(const Shape& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.f, 1.f);
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = n(rng);
  return t;
}

}  // namespace

nlohmann::json run_engine_benchmark(const EngineBenchOptions& o) {
  if (o.batch < 1 || o.size < 8 || o.steps < 1 || o.warmup < 0)
    throw std::invalid_argument("bench engine: needs batch >= 1, size >= 8, steps >= 1");
  const UNetOptions net = bench_unet(o.model);
  const int64_t factor = int64_t{1} << (net.channels.size() - 1);
  if (o.size % factor != 0)
    throw std::invalid_argument("bench engine: size " + std::to_string(o.size) +
                                " must be a multiple of " + std::to_string(factor) + " for " +
                                o.model);
  Shape shape = {o.batch, 1};
  for (int d = 0; d < net.dims; ++d) shape.push_back(o.size);

  // RSS growth is measured from here, before the model exists, exactly as the PyTorch peer
  // measures it: weights, gradients, optimizer state, data and activations all count.
  const std::size_t rss_base = peak_rss_bytes();
  auto model = make_unet(net);
  auto opt = make_sgd({.momentum = 0.9f});
  const Tensor x = random_normal(shape, 1);
  const Tensor target = random_binary(shape, 2);
  const LossFn loss = [&](const Tensor& y) { return bce_with_logits_loss(y, target); };

  reset_peak_memory();
  std::vector<double> ms;
  float first = 0.f, last = 0.f;
  for (int s = 0; s < o.warmup + o.steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    last = train_step(*model, *opt, 0.01f, x, loss);
    const auto t1 = std::chrono::steady_clock::now();
    if (s == 0) first = last;
    if (s >= o.warmup) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  const double median =
      ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
  const std::size_t rss_peak = peak_rss_bytes();
  return {{"engine", "tessera"},
          {"model", o.model},
          {"batch", o.batch},
          {"size", o.size},
          {"steps", o.steps},
          {"threads", engine_threads()},
          {"isa", cpu_isa()},
          {"ms_per_step_median", median},
          {"ms_per_step_min", ms.front()},
          {"peak_bytes", memory_stats().peak_bytes},
          {"peak_rss_bytes", rss_peak},
          {"rss_delta_bytes", rss_peak > rss_base ? rss_peak - rss_base : 0},
          {"parameters", model->parameter_count()},
          {"loss_first", first},
          {"loss_last", last}};
}

}  // namespace tessera
