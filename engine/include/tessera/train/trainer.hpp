#pragma once
// One training step, written once for every application:
// forward (train mode) -> loss -> backward -> optimizer update.
#include <functional>

#include "tessera/nn/module.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera {

// prediction -> loss value and gradient
using LossFn = std::function<LossResult(const Tensor& prediction)>;

// Returns the loss. Throws std::runtime_error when the loss is not finite, before the
// weights are touched, so a diverged run stops instead of writing NaN weights.
float train_step(Module& model, Optimizer& optimizer, float lr, const Tensor& input,
                 const LossFn& loss);

}  // namespace tessera
