#include "tessera/bench/engine.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <stdexcept>

#ifndef TESSERA_ENGINE_ONLY
#include "tessera/connectomics/affinity_model.hpp"
#endif
#include "tessera/info.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/model/coupling.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/rev/reversible.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera::bench {

Tensor random_normal(const Shape& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.f, 1.f);
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = n(rng);
  return t;
}

std::size_t peak_rss_bytes() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<std::size_t>(u.ru_maxrss) * 1024;
}

namespace {

Tensor random_binary(const Shape& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(rng() & 1);
  return t;
}

// The task: for the convolutional networks input N x 1 x *S ~ N(0,1), a fixed random binary
// target (and, where the network trains masked, a fixed random binary mask), BCE loss; for the
// LSTM input N x 12 x S ~ N(0,1), a fixed random target, MSE loss.
struct BenchTask {
  Tensor x, target, mask;
  bool regression = false;
  LossFn loss() const {
    if (regression) return [this](const Tensor& y) { return mse_loss(y, target); };
    return [this](const Tensor& y) { return bce_with_logits_loss(y, target, {.mask = mask}); };
  }
  BenchTask to(Device d) const { return {x.to(d), target.to(d), mask.to(d), regression}; }
};

// Input `in` ([N, 1, *S]); target (and mask) [N, out_channels, *S].
BenchTask bce_task(const Shape& in, int64_t out_channels, bool masked) {
  Shape out = in;
  out[1] = out_channels;
  return {random_normal(in, 1), random_binary(out, 2), masked ? random_binary(out, 3) : Tensor{}};
}

BenchTask bench_task(int64_t batch, int dims, int64_t size) {
  Shape shape = {batch, 1};
  for (int d = 0; d < dims; ++d) shape.push_back(size);
  return bce_task(shape, 1, false);
}

// The discharge network's shape: 12 input channels over S days -> LSTM(64) -> linear to 3
// lead times.
constexpr int64_t kLstmInputs = 12, kLstmHidden = 64, kLstmOutputs = 3;

std::unique_ptr<Module> bench_lstm() {
  auto s = std::make_unique<Sequential>();
  s->add(
      std::make_unique<Lstm>(LstmOptions{.input_size = kLstmInputs, .hidden_size = kLstmHidden}));
  s->add(std::make_unique<Linear>(
      LinearOptions{.in_features = kLstmHidden, .out_features = kLstmOutputs}));
  return s;
}

// stem conv 3 (1 -> C) -> `blocks` additive couplings on C channels -> head conv 1 (C -> 1).
std::unique_ptr<Sequential> coupling_net(const ReversibleBenchOptions& o, bool store) {
  const Shape k3(static_cast<size_t>(o.dims), 3), k1(static_cast<size_t>(o.dims), 1),
      pad(static_cast<size_t>(o.dims), 1);
  auto net = std::make_unique<Sequential>();
  net->add(std::make_unique<Conv>(
      ConvOptions{.in_channels = 1, .out_channels = o.channels, .kernel = k3, .padding = pad}));
  auto body = std::make_unique<RevSequence>(RevSequenceOptions{.store_activations = store});
  for (int b = 0; b < o.blocks; ++b)
    body->add(make_coupling({.dims = o.dims, .channels = o.channels, .store_activations = store}));
  net->add(std::move(body));
  net->add(std::make_unique<Conv>(
      ConvOptions{.in_channels = o.channels, .out_channels = 1, .kernel = k1}));
  net->initialize(7);
  return net;
}

// reversible3d: the coupling network of `bench reversible --dims 3 --blocks 64 --channels 16`.
constexpr ReversibleBenchOptions kReversible3d = {.dims = 3, .blocks = 64, .channels = 16};

struct EngineNet {
  std::unique_ptr<Module> model;
  BenchTask task;
};

// The U-Nets' input edges must halve evenly at every level.
void check_multiple(const std::string& setting, int64_t edge, size_t levels,
                    const std::string& model) {
  const int64_t factor = int64_t{1} << (levels - 1);
  if (edge % factor != 0)
    throw SettingError(setting, std::to_string(edge) + " must be a multiple of " +
                                    std::to_string(factor) + " for " + model);
}

EngineNet engine_net(const EngineBenchOptions& o) {
  const std::string& m = o.model;
  if (m != "unet2d" && m != "unet3d" && m != "lstm" && m != "affinity3d" && m != "reversible3d")
    throw SettingError("model", "unknown benchmark model '" + m +
                                    "' (unet2d, unet3d, lstm, affinity3d or reversible3d)");
  const bool three_d = m == "unet3d" || m == "affinity3d" || m == "reversible3d";
  if (o.depth != 0 && !three_d) throw SettingError("depth", "applies to the 3D models only");
  if (o.reversible && m != "unet2d" && m != "unet3d")
    throw SettingError("reversible", "applies to unet2d and unet3d (reversible3d always is)");
  if (m == "lstm")
    return {bench_lstm(),
            {.x = random_normal({o.batch, kLstmInputs, o.size}, 1),
             .target = random_normal({o.batch, kLstmOutputs}, 2),
             .mask = {},
             .regression = true}};
  const int64_t depth = o.depth > 0 ? o.depth : o.size;
  const Shape in =
      three_d ? Shape{o.batch, 1, depth, o.size, o.size} : Shape{o.batch, 1, o.size, o.size};
  if (m == "reversible3d") return {coupling_net(kReversible3d, false), bce_task(in, 1, false)};
  if (m == "affinity3d") {
#ifdef TESSERA_ENGINE_ONLY
    throw SettingError("model",
                       "affinity3d is the connectomics network, which an engine-only "
                       "build does not have; use unet3d or reversible3d");
#else
    const connectomics::AffinityTrainOptions a{};
    check_multiple("size", o.size, a.channels.size(), m);
    check_multiple("depth", depth, a.channels.size(), m);
    return {connectomics::make_affinity_unet(a),
            bce_task(in, static_cast<int64_t>(a.offsets.size()), true)};
#endif
  }
  UNetOptions net = m == "unet2d" ? UNetOptions{.dims = 2, .channels = {32, 64, 128, 256}}
                                  : UNetOptions{.dims = 3, .channels = {16, 32, 64}};
  net.reversible = o.reversible;
  check_multiple("size", o.size, net.channels.size(), m);
  if (three_d) check_multiple("depth", depth, net.channels.size(), m);
  return {make_unet(net), bce_task(in, 1, false)};
}

}  // namespace

nlohmann::json run_engine_benchmark(const EngineBenchOptions& o) {
  if (o.batch < 1) throw SettingError("batch", "must be at least 1");
  if (o.size < 8) throw SettingError("size", "must be at least 8");
  if (o.depth < 0) throw SettingError("depth", "must not be negative");
  if (o.steps < 1) throw SettingError("steps", "must be at least 1");
  if (o.warmup < 0) throw SettingError("warmup", "must not be negative");
  // RSS growth is measured from here, before the model exists, exactly as the PyTorch peer
  // measures it: weights, gradients, optimizer state, data and activations all count.
  const std::size_t rss_base = peak_rss_bytes();
  const EngineNet net = engine_net(o);
  set_compute_type(*net.model, o.precision);
  move_to(*net.model, o.device);
  const BenchTask task = net.task.to(o.device);
  const StepTimes t = time_training_steps(*net.model, task.x, task.loss(), o.warmup, o.steps);
  const std::size_t rss_peak = peak_rss_bytes();
  nlohmann::json out = {{"engine", "tessera"},
                        {"model", o.model},
                        {"device", to_string(o.device)},
                        {"batch", o.batch},
                        {"size", o.size},
                        {"steps", o.steps},
                        {"threads", engine_threads()},
                        {"isa", cpu_isa()},
                        {"ms_per_step_median", t.median_ms},
                        {"ms_per_step_min", t.min_ms},
                        {"peak_bytes", t.peak_bytes},
                        {"peak_rss_bytes", rss_peak},
                        {"rss_delta_bytes", rss_peak > rss_base ? rss_peak - rss_base : 0},
                        {"parameters", net.model->parameter_count()},
                        {"loss_first", t.loss_first},
                        {"loss_last", t.loss_last}};
  if (net.task.x.ndim() == 5) out["depth"] = net.task.x.dim(2);
  if (o.precision != DataType::f32) out["precision"] = to_string(o.precision);
  if (o.reversible) out["reversible"] = true;
  return out;
}

StepTimes time_training_steps(Module& model, const Tensor& x, const LossFn& loss, int warmup,
                              int steps) {
  auto opt = make_sgd({.momentum = 0.9f});
  const Device device = x.device();
  reset_peak_memory(device);
  StepTimes t;
  std::vector<double> ms;
  for (int s = 0; s < warmup + steps; ++s) {
    if (s == warmup) {
      // From here on weights, gradients and momentum exist: what grows above is activations.
      t.resident_bytes = memory_stats(device).current_bytes;
      reset_peak_memory(device);
    }
    const auto t0 = std::chrono::steady_clock::now();
    t.loss_last = train_step(model, *opt, 0.01f, x, loss);
    synchronize(device);
    const auto t1 = std::chrono::steady_clock::now();
    if (s == 0) t.loss_first = t.loss_last;
    if (s >= warmup) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  t.median_ms =
      ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
  t.min_ms = ms.front();
  t.peak_bytes = memory_stats(device).peak_bytes;
  return t;
}

nlohmann::json run_reversible_benchmark(const ReversibleBenchOptions& o) {
  if (o.dims != 2 && o.dims != 3) throw SettingError("dims", "must be 2 or 3");
  if (o.blocks < 1) throw SettingError("blocks", "must be at least 1");
  if (o.channels < 2 || o.channels % 2) throw SettingError("channels", "must be even, at least 2");
  if (o.size < 4) throw SettingError("size", "must be at least 4");
  if (o.batch < 1) throw SettingError("batch", "must be at least 1");
  if (o.steps < 1) throw SettingError("steps", "must be at least 1");
  const BenchTask task = bench_task(o.batch, o.dims, o.size).to(o.device);
  const double pixels = static_cast<double>(task.x.numel());

  nlohmann::json out = {{"dims", o.dims},
                        {"blocks", o.blocks},
                        {"channels", o.channels},
                        {"size", o.size},
                        {"batch", o.batch},
                        {"steps", o.steps},
                        {"threads", engine_threads()},
                        {"device", to_string(o.device)}};
  for (const bool store : {true, false}) {
    auto net = coupling_net(o, store);
    move_to(*net, o.device);
    const StepTimes t = time_training_steps(*net, task.x, task.loss(), 1, o.steps);
    const std::size_t activations = t.peak_bytes - t.resident_bytes;
    out[store ? "plain" : "reversible"] = {
        {"ms_per_step_median", t.median_ms},
        {"peak_bytes", t.peak_bytes},
        {"activation_bytes", activations},
        {"bytes_per_pixel", static_cast<double>(t.peak_bytes) / pixels},
        {"activation_bytes_per_pixel", static_cast<double>(activations) / pixels},
        {"loss_last", t.loss_last}};
  }
  out["memory_ratio"] =
      out["plain"]["peak_bytes"].get<double>() / out["reversible"]["peak_bytes"].get<double>();
  out["time_ratio"] = out["reversible"]["ms_per_step_median"].get<double>() /
                      out["plain"]["ms_per_step_median"].get<double>();
  return out;
}

}  // namespace tessera::bench
