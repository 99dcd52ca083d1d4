#include "tessera/ops/loss.hpp"

#include <stdexcept>
#include <string>

#include "dispatch.hpp"

namespace tessera {
namespace {

void check_shape(const char* op, const char* what, const Tensor& t, const Shape& expected) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": undefined " + what);
  if (t.shape() != expected)
    throw std::invalid_argument(std::string(op) + ": " + what + " shape " + to_string(t.shape()) +
                                " does not match " + to_string(expected));
}

// Weight and mask, when given, have `shape`.
void check_options(const char* op, const LossOptions& o, const Shape& shape) {
  if (o.weight.defined()) check_shape(op, "weight", o.weight, shape);
  if (o.mask.defined()) check_shape(op, "mask", o.mask, shape);
}

// Prediction and target of one shape; weight and mask too.
void check_pair(const char* op, const Tensor& pred, const Tensor& target, const LossOptions& o) {
  require_defined(op, pred, "prediction");
  check_shape(op, "target", target, pred.shape());
  check_options(op, o, pred.shape());
}

void check_channels(const char* op, const Tensor& logits) {
  require_defined(op, logits, "logits");
  if (logits.ndim() < 2)
    throw std::invalid_argument(std::string(op) + ": logits " + to_string(logits.shape()) +
                                " need a channel axis");
}

Backend& backend(const char* op, const Tensor& a, const Tensor& b, const LossOptions& o) {
  return backend_of(op, a, b, o.weight, o.mask);
}

}  // namespace

LossResult mse_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) {
  check_pair("mse_loss", pred, target, o);
  return backend("mse_loss", pred, target, o).mse_loss(pred, target, o);
}

LossResult l1_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) {
  check_pair("l1_loss", pred, target, o);
  return backend("l1_loss", pred, target, o).l1_loss(pred, target, o);
}

LossResult quantile_loss(const Tensor& pred, const Tensor& target, const Tensor& levels,
                         const LossOptions& o) {
  const char* op = "quantile_loss";
  check_pair(op, pred, target, o);
  check_shape(op, "levels", levels, pred.shape());
  // |t - p| weighted by tau on the side where the target lies above, 1 - tau below: the
  // pinball loss, whose gradient is l1's times that weight (the side only changes at the kink).
  // The weights are made on the host (from host copies where the operands are on a GPU) and
  // travel to the operands' device.
  const Tensor p = pred.to_host_plain(), t = target.to_host_plain(), tau = levels.to_host_plain();
  const Tensor w = o.weight.defined() ? o.weight.to_host_plain() : Tensor();
  Tensor side = Tensor::zeros(p.shape());
  for (int64_t i = 0; i < p.numel(); ++i) {
    const float level = tau.data()[i];
    if (!(level > 0.f && level < 1.f))
      throw std::invalid_argument(std::string(op) + ": level " + std::to_string(level) +
                                  " at element " + std::to_string(i) + " is not in (0, 1)");
    side.data()[i] =
        (t.data()[i] >= p.data()[i] ? level : 1.f - level) * (w.defined() ? w.data()[i] : 1.f);
  }
  return l1_loss(pred.to_plain(), target.to_plain(),
                 {.weight = side.to(pred.device()), .mask = o.mask});
}

LossResult bce_with_logits_loss(const Tensor& logits, const Tensor& target, const LossOptions& o) {
  check_pair("bce_with_logits_loss", logits, target, o);
  return backend("bce_with_logits_loss", logits, target, o).bce_with_logits_loss(logits, target, o);
}

LossResult centre_focal_loss(const Tensor& logits, const Tensor& target, const LossOptions& o,
                             float alpha, float beta) {
  const char* op = "centre_focal_loss";
  check_pair(op, logits, target, o);
  if (o.weight.defined()) throw std::invalid_argument(std::string(op) + ": takes no weight");
  return backend(op, logits, target, o).centre_focal_loss(logits, target, o, alpha, beta);
}

LossResult softmax_cross_entropy_loss(const Tensor& logits, const Tensor& labels,
                                      const LossOptions& o) {
  const char* op = "softmax_cross_entropy_loss";
  check_channels(op, logits);
  Shape label_shape = logits.shape();
  label_shape[1] = 1;
  check_shape(op, "labels", labels, label_shape);
  check_options(op, o, label_shape);
  return backend(op, logits, labels, o).softmax_cross_entropy_loss(logits, labels, o);
}

LossResult dice_loss(const Tensor& logits, const Tensor& target, const LossOptions& o,
                     float smooth) {
  const char* op = "dice_loss";
  check_channels(op, logits);
  check_pair(op, logits, target, o);
  return backend(op, logits, target, o).dice_loss(logits, target, o, smooth);
}

}  // namespace tessera
