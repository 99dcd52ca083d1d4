#include "tessera/data/blobs_demo.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tessera/data/blobs.hpp"
#include "tessera/dist/data_parallel.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/schedule.hpp"
#include "tessera/train/trainer.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::data {

namespace {

double pixel_accuracy(const Tensor& logits, const Tensor& mask) {
  const std::vector<float> p = logits.to_vector(), m = mask.to_vector();
  int64_t right = 0;
  for (size_t i = 0; i < p.size(); ++i) right += (p[i] > 0.f) == (m[i] > 0.5f);
  return static_cast<double>(right) / static_cast<double>(p.size());
}

float max_difference(const Tensor& a, const Tensor& b) {
  const std::vector<float> va = a.to_vector(), vb = b.to_vector();
  float diff = 0.f;
  for (size_t i = 0; i < va.size(); ++i) diff = std::max(diff, std::abs(va[i] - vb[i]));
  return diff;
}

}  // namespace

BlobsDemoReport run_blobs_demo(const BlobsDemoOptions& o, Communicator& comm, std::ostream& log) {
  if (o.size % 4) throw SettingError("size", "must be a multiple of 4");
  std::unique_ptr<Module> net =
      make_unet({.dims = 2, .channels = {8, 16, 32}, .reversible = o.reversible, .seed = 1});
  auto opt = make_optimizer(o.optimizer, o.optimizer_settings);
  const bool report = comm.rank() == 0;
  RunSettings run = o.run;
  run.output = o.output;
  run.log = report ? &log : nullptr;
  TrainingLoop loop(run, net, *opt, &comm);
  GradientSync sync(*net, comm);  // after the loop, which may resume `net` from its checkpoint
  const LrSchedule schedule{.kind = LrSchedule::Kind::cosine,
                            .base_lr = o.lr > 0 ? o.lr : default_learning_rate(o.optimizer),
                            .warmup_steps = 10,
                            .total_steps = o.steps};
  // Equal shards: the mean of the ranks' mean gradients is the batch's only then.
  const int64_t batch_size = (4 + comm.size() - 1) / comm.size() * comm.size();
  const Shard mine = shard_of(batch_size, comm.rank(), comm.size());
  const auto held_out = make_blobs({.batch = 8, .size = o.size, .seed = 999});
  BlobsDemoReport r{.parameters = net->parameter_count()};
  if (report)
    log << "training a " << r.parameters << "-parameter " << (o.reversible ? "reversible " : "")
        << "U-Net on synthetic blobs with " << o.optimizer << " (" << o.steps << " steps of "
        << batch_size << " images " << o.size << "x" << o.size
        << (comm.size() > 1 ? ", data-parallel over " + std::to_string(comm.size()) + " " +
                                  comm.backend() + " ranks"
                            : "")
        << ")\n";
  // Each step's batch comes from its own seed: training is a pure function of the step, and
  // each rank makes the whole batch and keeps its own shard of it (no data-order state).
  const auto history =
      loop.run({.steps = o.steps, .schedule = schedule, .step = [&](int64_t step, float lr) {
                  const auto batch =
                      make_blobs({.batch = batch_size, .size = o.size, .seed = uint64_t(step)});
                  const Tensor image = take_shard(batch.image, mine),
                               mask = take_shard(batch.mask, mine);
                  return train_step(
                      *net, *opt, lr, image,
                      [&](const Tensor& y) { return bce_with_logits_loss(y, mask); }, &sync);
                }});
  if (!history.empty())
    r.first_loss = float(history.front().loss), r.last_loss = float(history.back().loss);
  if (!report) return r;  // one checkpoint, written by rank 0
  const Tensor pred = forward_on_model_device(*net, held_out.image, Mode::eval);
  r.pixel_accuracy = pixel_accuracy(pred, held_out.mask);
  r.peak_bytes = memory_stats(device_of(*net)).peak_bytes;
  save_checkpoint(o.output, *net, opt.get(), o.steps, {{"demo", "blobs"}});
  const Checkpoint ck = load_checkpoint(o.output);
  move_to(*ck.model, device_of(*net));  // the same device computes the same numbers
  r.reload_difference =
      max_difference(pred, forward_on_model_device(*ck.model, held_out.image, Mode::eval));
  if (r.reload_difference != 0.f)
    throw std::runtime_error("checkpoint " + o.output +
                             " predicts differently once reloaded (max difference " +
                             std::to_string(r.reload_difference) + ")");
  return r;
}

}  // namespace tessera::data
