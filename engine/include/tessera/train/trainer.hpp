#pragma once
// One training step, written once for every application:
// forward (train mode) -> loss -> backward -> optimizer update.
#include <functional>

#include "tessera/dist/data_parallel.hpp"
#include "tessera/nn/module.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera {

// prediction -> loss value and gradient
using LossFn = std::function<LossResult(const Tensor& prediction)>;

// Returns the loss (with `sync`, its mean over ranks). Throws std::runtime_error when the loss
// is not finite, before the weights are touched, so a diverged run stops instead of writing
// NaN weights (on every rank at once: the mean is NaN everywhere).
// With `sync` (data-parallel training) `input` is this rank's shard of the batch, the
// gradients are averaged over ranks before the update, and every rank takes the same step.
// `input` may lie on another device than the model: it is copied to the model's, and `loss`
// sees the prediction on the input's device (where a task keeps its targets).
float train_step(Module& model, Optimizer& optimizer, float lr, const Tensor& input,
                 const LossFn& loss, GradientSync* sync = nullptr);

}  // namespace tessera
