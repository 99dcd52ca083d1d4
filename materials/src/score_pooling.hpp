#pragma once
// A loss on score maps through their global average, shared by the segmenter (presence tags)
// and the property model (a class or a number per image).
#include <functional>

#include "tessera/ops/loss.hpp"
#include "tessera/ops/pool.hpp"

namespace tessera::materials {

// `loss` of the maps' means [B,K,1,1], its gradient spread evenly back over each map's pixels.
// scores [B,K,H,W] (plain) -> LossResult with grad [B,K,H,W].
inline LossResult mean_pooled_loss(const Tensor& scores,
                                   const std::function<LossResult(const Tensor&)>& loss) {
  const Tensor plain = scores.to_plain();
  const PoolParams pool{.kind = PoolKind::avg, .kernel = {plain.dim(2), plain.dim(3)}};
  const PoolResult pooled = pool_forward(plain, pool, true);
  LossResult out = loss(pooled.y.to_plain());
  out.grad = pool_backward(out.grad, pooled.workspace, plain.layout(), pool).to_plain();
  return out;
}

}  // namespace tessera::materials
