// Losses on the GPU (loss_kernels.cu), the CPU backend's semantics exactly (cpu/loss.cpp): the
// same data checks and messages, the same denominators, sums in double. Each loss reads a few
// scalars back to the host (the denominator, the sum), which orders it after its kernels.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend.hpp"
#include "loss_kernels.hpp"

namespace tessera::cuda {
namespace {

const float* maybe(const Tensor& t) {
  return t.defined() ? floats(t) : nullptr;
}

template <typename T>
std::vector<T> read(const T* device_data, int64_t count, const char* op) {
  std::vector<T> host(static_cast<std::size_t>(count));
  check(cudaMemcpy(host.data(), device_data, host.size() * sizeof(T), cudaMemcpyDeviceToHost), op);
  return host;
}

// Device memory one loss works in, from the caching allocator: the partial sums and total of
// ReduceBuffers, a first-bad-index slot, then `extra` doubles.
class Scratch {
 public:
  Scratch(int device, int64_t extra)
      : bytes_(device_bytes(std::size_t(kReduceBlocks + 2 + extra) * sizeof(double), device)) {}
  ReduceBuffers sums() const { return {base(), base() + kReduceBlocks}; }
  double total(const char* op) const { return read(sums().total, 1, op)[0]; }
  unsigned long long* first() const {
    return reinterpret_cast<unsigned long long*>(base() + kReduceBlocks + 1);
  }
  double* extra() const { return base() + kReduceBlocks + 2; }

 private:
  double* base() const { return static_cast<double*>(bytes_.raw()); }
  Tensor bytes_;
};

// The first flagged index of the scan just launched into `s`, or -1.
int64_t first_found(const Scratch& s, const char* op) {
  const unsigned long long first = read(s.first(), 1, op)[0];
  return first == kNotFound ? -1 : static_cast<int64_t>(first);
}

void check_no_nan(const char* op, const Tensor& target, const Scratch& s) {
  launch_first_nan(floats(target), target.numel(), s.first());
  const int64_t i = first_found(s, op);
  if (i >= 0)
    throw std::invalid_argument(std::string(op) + ": target contains NaN at element " +
                                std::to_string(i));
}

void check_labels(const char* op, const Tensor& labels, int64_t classes, const Scratch& s) {
  launch_first_bad_label(floats(labels), labels.numel(), classes, s.first());
  const int64_t bad = first_found(s, op);
  if (bad >= 0)
    throw std::invalid_argument(std::string(op) + ": label " +
                                std::to_string(read(floats(labels) + bad, 1, op)[0]) +
                                " at element " + std::to_string(bad) +
                                " is not a class index in [0, " + std::to_string(classes) + ")");
}

double count(const Scratch& s, Count which, const Tensor& mask, const Tensor& values, int64_t n,
             const char* op) {
  launch_count(which, maybe(mask), maybe(values), n, s.sums());
  return s.total(op);
}

Tensor zeros_like(const Tensor& t, int device) {
  return Tensor::zeros(Layout::plain(t.shape()), Device::cuda(device));
}

// mse / l1 / bce: sum(w*m*loss) / sum(m), gradient w*m*dloss / sum(m).
LossResult point_loss(int device, const char* op, PointLoss kind, const Tensor& pred,
                      const Tensor& target, const LossOptions& o) {
  const Scratch s(device, 0);
  check_no_nan(op, target, s);
  const int64_t n = pred.numel();
  LossResult r{0.f, zeros_like(pred, device)};
  const double denom = count(s, Count::all, o.mask, Tensor(), n, op);
  if (denom == 0) return r;  // nothing included: zero loss, zero gradient
  launch_point_loss(kind, floats(pred), floats(target), maybe(o.weight), maybe(o.mask), n, denom,
                    floats(r.grad), s.sums());
  r.value = float(s.total(op) / denom);
  return r;
}

}  // namespace

LossResult CudaBackend::mse_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) {
  use_device(device_);
  return point_loss(device_, "mse_loss", PointLoss::mse, pred, target, o);
}

LossResult CudaBackend::l1_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) {
  use_device(device_);
  return point_loss(device_, "l1_loss", PointLoss::l1, pred, target, o);
}

LossResult CudaBackend::bce_with_logits_loss(const Tensor& logits, const Tensor& target,
                                             const LossOptions& o) {
  use_device(device_);
  return point_loss(device_, "bce_with_logits_loss", PointLoss::bce, logits, target, o);
}

LossResult CudaBackend::softmax_cross_entropy_loss(const Tensor& logits, const Tensor& labels,
                                                   const LossOptions& o) {
  use_device(device_);
  const char* op = "softmax_cross_entropy_loss";
  const Scratch s(device_, 0);
  const int64_t classes = logits.dim(1), pixels = labels.numel();
  check_labels(op, labels, classes, s);
  // Ignored labels leave the denominator like masked pixels do.
  const double denom = count(s, Count::labelled, o.mask, labels, pixels, op);
  LossResult r{0.f, zeros_like(logits, device_)};
  if (denom == 0) return r;
  launch_softmax_cross_entropy(floats(logits), floats(labels), maybe(o.weight), maybe(o.mask),
                               pixels, classes, pixels / logits.dim(0), denom, floats(r.grad),
                               s.sums());
  r.value = float(s.total(op) / denom);
  return r;
}

LossResult CudaBackend::centre_focal_loss(const Tensor& logits, const Tensor& target,
                                          const LossOptions& o, float alpha, float beta) {
  use_device(device_);
  const char* op = "centre_focal_loss";
  const Scratch s(device_, 0);
  check_no_nan(op, target, s);
  const int64_t n = logits.numel();
  const double denom = std::max(1.0, count(s, Count::centres, o.mask, target, n, op));
  LossResult r{0.f, zeros_like(logits, device_)};
  launch_centre_focal(floats(logits), floats(target), maybe(o.mask), n, alpha, beta, denom,
                      floats(r.grad), s.sums());
  r.value = float(s.total(op) / denom);
  return r;
}

LossResult CudaBackend::dice_loss(const Tensor& logits, const Tensor& target, const LossOptions& o,
                                  float smooth) {
  use_device(device_);
  const char* op = "dice_loss";
  const int64_t pairs = logits.dim(0) * logits.dim(1), spatial = logits.numel() / pairs;
  // Extra: per pair kDiceChunks partials of three sums, then the three sums.
  const Scratch s(device_, pairs * kDiceChunks * 3 + pairs * 3);
  check_no_nan(op, target, s);
  double* sums = s.extra() + pairs * kDiceChunks * 3;
  launch_dice_sums(floats(logits), floats(target), maybe(o.weight), maybe(o.mask), pairs, spatial,
                   s.extra(), sums);
  // The mean over pairs on the host, in the CPU's order.
  const std::vector<double> host = read(sums, pairs * 3, op);
  double total = 0;
  for (int64_t k = 0; k < pairs; ++k) {
    const double num = 2 * host[k * 3] + smooth, den = host[k * 3 + 1] + host[k * 3 + 2] + smooth;
    // A fully masked pair with smooth 0 is 0/0: it has nothing to score, so it scores 0.
    if (den > 0) total += 1 - num / den;
  }
  LossResult r{float(total / double(pairs)),
               Tensor(Layout::plain(logits.shape()), Device::cuda(device_))};
  launch_dice_grad(floats(logits), floats(target), maybe(o.weight), maybe(o.mask), pairs, spatial,
                   sums, smooth, floats(r.grad));
  return r;
}

}  // namespace tessera::cuda
