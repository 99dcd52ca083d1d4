// tessera bench kfac: SGD, Adam and K-FAC to a validation loss on the ISBI 2012 membranes.
#include "tessera/bench/kfac.hpp"

#include <chrono>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <random>
#include <sstream>

#include "tessera/dist/data_parallel.hpp"
#include "tessera/formats/line_plot.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/model/unet.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/ops/pool.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"

namespace tessera::bench {

namespace {

// Images [S, 1, 256, 256] (the stack halved by 2x2 averaging) and soft membrane targets.
struct MembraneData {
  Tensor train_x, train_t, val_x, val_t;  // train: 128x128 crops; val: whole slices
};

Tensor read_stack(const std::string& spec) {
  auto src = open_volume(spec);
  const VolumeInfo& info = src->info();
  if (info.size.size() != 3 || info.channels != 1)
    throw std::invalid_argument(spec + ": expected a single-channel stack of slices, got " +
                                std::to_string(info.channels) + " x " + to_string(info.size));
  const Tensor v = src->read(Region::whole(info.size));
  const Tensor slices = v.to_plain().reshape({info.size[0], 1, info.size[1], info.size[2]});
  return pool_forward(slices, {.kind = PoolKind::avg, .kernel = {2, 2}}, false).y.to_plain();
}

// The 128 x 128 crops of slices [first, last) of x, four per slice.
Tensor crops(const Tensor& x, int64_t first, int64_t last) {
  const int64_t h = x.dim(2), w = x.dim(3), c = 128;
  const int64_t per = (h / c) * (w / c);
  Tensor out = Tensor::empty({(last - first) * per, 1, c, c});
  int64_t k = 0;
  for (int64_t s = first; s < last; ++s)
    for (int64_t y0 = 0; y0 + c <= h; y0 += c)
      for (int64_t x0 = 0; x0 + c <= w; x0 += c, ++k)
        for (int64_t y = 0; y < c; ++y)
          std::copy_n(x.data() + (s * h + y0 + y) * w + x0, c, out.data() + (k * c + y) * c);
  return out;
}

MembraneData load_membranes(const KfacBenchOptions& o) {
  if (o.raw.empty()) throw SettingError("raw", "no EM stack given");
  if (o.labels.empty()) throw SettingError("labels", "no label stack given");
  Tensor raw = read_stack(o.raw), labels = read_stack(o.labels);
  if (raw.shape() != labels.shape())
    throw std::invalid_argument("raw " + to_string(raw.shape()) + " and labels " +
                                to_string(labels.shape()) + " differ in size");
  const int64_t n = raw.dim(0), train = n - o.validation_slices;
  if (train < 1 || o.validation_slices < 1)
    throw SettingError("validation_slices", "must leave slices for training");
  double sum = 0, sq = 0;  // normalised with the training slices' statistics
  const int64_t train_values = train * (raw.numel() / n);
  for (int64_t i = 0; i < train_values; ++i)
    sum += raw.data()[i], sq += double(raw.data()[i]) * raw.data()[i];
  const double mean = sum / double(train_values);
  const double sd = std::sqrt(std::max(1e-12, sq / double(train_values) - mean * mean));
  for (int64_t i = 0; i < raw.numel(); ++i) raw.data()[i] = float((raw.data()[i] - mean) / sd);
  for (int64_t i = 0; i < labels.numel(); ++i)  // 255 = cell interior, 0 = membrane
    labels.data()[i] = 1.f - labels.data()[i] / 255.f;
  return {crops(raw, 0, train), crops(labels, 0, train), take_shard(raw, {train, n}),
          take_shard(labels, {train, n})};
}

struct Curve {
  std::string optimizer;
  double lr = 0;
  std::vector<double> epochs, losses, seconds;
  int epochs_to_target = -1;
  double seconds_to_target = NAN;
};

// The rate "name=value" in `given` sets for `name`, else its default.
double learning_rate_of(const std::string& name, const std::vector<std::string>& given) {
  for (const std::string& g : given) {
    const size_t eq = g.find('=');
    if (eq == std::string::npos || g.substr(0, eq) != name) continue;
    try {
      const double v = std::stod(g.substr(eq + 1));
      if (v > 0 && std::isfinite(v)) return v;
    } catch (const std::exception&) {
    }
    throw SettingError("lr", g + ": expected " + name + "=<positive number>");
  }
  return default_learning_rate(name);
}

Curve train_until(const std::string& name, const MembraneData& d, const KfacBenchOptions& o) {
  auto net = make_unet({.dims = 2, .channels = {8, 16, 32}, .seed = 11});
  move_to(*net, o.device);  // the batches stay in host memory: train_step copies them
  const bool kfac = name == "kfac";
  auto opt = make_optimizer(name, kfac ? o.kfac_settings : "");
  Curve c;
  c.optimizer = name;
  c.lr = learning_rate_of(name, o.lr);
  const int64_t n = d.train_x.dim(0), batch = 8;
  std::mt19937_64 rng(5);  // the same sample order for every optimizer
  std::vector<int64_t> order(static_cast<size_t>(n));
  double seconds = 0;
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(i);
    std::shuffle(order.begin(), order.end(), rng);
    const auto start = std::chrono::steady_clock::now();
    for (int64_t b = 0; b + batch <= n; b += batch) {
      const int64_t per = d.train_x.numel() / n;
      Tensor x = Tensor::empty({batch, 1, 128, 128}), t = Tensor::empty({batch, 1, 128, 128});
      for (int64_t k = 0; k < batch; ++k) {
        std::copy_n(d.train_x.data() + order[size_t(b + k)] * per, per, x.data() + k * per);
        std::copy_n(d.train_t.data() + order[size_t(b + k)] * per, per, t.data() + k * per);
      }
      train_step(*net, *opt, float(c.lr), x,
                 [&](const Tensor& y) { return bce_with_logits_loss(y, t); });
    }
    synchronize(o.device);  // the GPU's queued work belongs to this epoch
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double val =
        bce_with_logits_loss(forward_on_model_device(*net, d.val_x, Mode::eval), d.val_t).value;
    c.epochs.push_back(epoch);
    c.losses.push_back(val);
    c.seconds.push_back(seconds);
    if (o.log)
      *o.log << "  " << std::setw(4) << name << " epoch " << std::setw(2) << epoch
             << "  validation loss " << std::fixed << std::setprecision(4) << val << "  "
             << std::setprecision(1) << seconds << " s" << std::defaultfloat << std::endl;
    if (val <= o.target) {
      c.epochs_to_target = epoch;
      c.seconds_to_target = seconds;
      break;
    }
  }
  return c;
}

std::string report(const std::vector<Curve>& curves, const KfacBenchOptions& o,
                   const MembraneData& d) {
  std::ostringstream s;
  s << "Membrane segmentation on the ISBI 2012 stack (halved to 256 x 256; " << d.train_x.dim(0)
    << " training crops of 128 x 128 from " << d.train_x.dim(0) / 4 << " slices, " << d.val_x.dim(0)
    << " whole validation slices), U-Net 8/16/32 with batch "
    << "norm, batch 8, the same initial weights and sample order for each optimizer; target "
    << "validation BCE " << o.target << " (at most " << o.max_epochs << " epochs).\n\n"
    << "| optimizer | lr | epochs to target | training time to target (s) | s per epoch | best "
       "validation loss |\n"
    << "| --- | --- | --- | --- | --- | --- |\n";
  for (const Curve& c : curves) {
    const double best = *std::min_element(c.losses.begin(), c.losses.end());
    s << "| " << c.optimizer << " | " << c.lr << " | "
      << (c.epochs_to_target > 0 ? std::to_string(c.epochs_to_target) : "not reached") << " | ";
    if (c.epochs_to_target > 0)
      s << std::fixed << std::setprecision(1) << c.seconds_to_target;
    else
      s << "-";
    s << " | " << std::fixed << std::setprecision(2) << c.seconds.back() / double(c.epochs.size())
      << " | " << std::setprecision(4) << best << std::defaultfloat << " |\n";
  }
  return s.str();
}

}  // namespace

std::string run_kfac_benchmark(const KfacBenchOptions& o) {
  const MembraneData d = load_membranes(o);
  std::vector<Curve> curves;
  for (const std::string& name : o.optimizers) curves.push_back(train_until(name, d, o));
  const std::string table = report(curves, o, d);
  if (!o.markdown.empty()) write_atomically(o.markdown, table);
  if (!o.plot.empty()) {
    LinePlot p{.title = "ISBI 2012 membranes: validation loss per epoch",
               .x_label = "epoch",
               .y_label = "validation BCE",
               .h_lines = {o.target},
               .log_y = true};
    for (const Curve& c : curves) p.series.push_back({c.optimizer, c.epochs, c.losses});
    write_line_plot(o.plot, p);
  }
  return table;
}

}  // namespace tessera::bench
