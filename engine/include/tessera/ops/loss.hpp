#pragma once
// Losses: a scalar and its gradient with respect to the prediction (plain layout, same shape).
// Optional `weight` multiplies each element's term; optional `mask` (0/1) excludes elements.
// Reduction is the (weighted) mean over included elements: sum(w*m*l) / sum(m).
#include "tessera/tensor/tensor.hpp"

namespace tessera {

struct LossResult {
  float value = 0.f;
  Tensor grad;  // d value / d prediction
};

struct LossOptions {
  Tensor weight{};  // same shape as the prediction, or undefined
  Tensor mask{};    // same shape as the prediction, or undefined; NaN-free 0/1 values
};

LossResult mse_loss(const Tensor& pred, const Tensor& target, const LossOptions& o = {});
LossResult l1_loss(const Tensor& pred, const Tensor& target, const LossOptions& o = {});
// Pinball (quantile) loss of predicted quantiles: tau (t - p) where t >= p, (1 - tau) (p - t)
// where t < p, with `levels` (same shape, each in (0, 1)) holding every element's tau. Its
// minimiser is the tau-quantile of the target's distribution (Koenker and Bassett 1978).
// Weight and mask as above.
LossResult quantile_loss(const Tensor& pred, const Tensor& target, const Tensor& levels,
                         const LossOptions& o = {});
// Numerically stable: max(z,0) - z*t + log(1 + exp(-|z|)).
LossResult bce_with_logits_loss(const Tensor& logits, const Tensor& target,
                                const LossOptions& o = {});
// logits [N,C,*S]; labels [N,1,*S] holding class indices as floats; a label < 0 is ignored.
// weight / mask, when given, are [N,1,*S].
LossResult softmax_cross_entropy_loss(const Tensor& logits, const Tensor& labels,
                                      const LossOptions& o = {});
// Penalty-reduced focal loss on heatmap logits (CenterNet, Zhou et al. 2019): where the
// target is 1 (an object's centre) -(1-p)^alpha log p, elsewhere -(1-t)^beta p^alpha log(1-p),
// p = sigmoid(z); summed and divided by the number of centres (at least 1), so that images with
// many objects do not drown the rest. Mask excludes elements; weight is not supported.
LossResult centre_focal_loss(const Tensor& logits, const Tensor& target, const LossOptions& o = {},
                             float alpha = 2.f, float beta = 4.f);
// Soft Dice on sigmoid(logits) against target in [0,1], per (sample, channel), averaged:
// 1 - (2 sum(p t) + smooth) / (sum p + sum t + smooth). Mask excludes elements.
LossResult dice_loss(const Tensor& logits, const Tensor& target, const LossOptions& o = {},
                     float smooth = 1.f);

}  // namespace tessera
