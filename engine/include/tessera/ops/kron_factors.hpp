#pragma once
// K-FAC's Kronecker factors of one layer from one batch (Grosse & Martens 2016, "KFC").
//
// A convolution's (or linear layer's) weight gradient is a sum over output positions t of
// g_t a_t^T, with a_t the input patch position t reads (a trailing 1 for the bias) and g_t
// the output gradient there. K-FAC approximates the layer's Fisher block by A kron G:
//   A = mean over samples and positions of a_t a_t^T              [D, D], D = Ci*prod(K) (+1)
//   G = N * sum over samples and positions of g_t g_t^T           [Co, Co]
// with N the batch size (the loss is a mean over the batch, so N g_t is a sample's own
// gradient). Both are averages over the batch: the mean of the factors of equal shards is the
// factor of the whole batch, which is what data-parallel K-FAC relies on.
#include "tessera/ops/conv.hpp"
#include "tessera/tensor/tensor.hpp"

namespace tessera {

// x [N,Ci,*S] with a kernel of spatial size `kernel` (empty and x [N,F]: a linear layer).
// The patch order matches a plain weight [Co, Ci, *K] flattened to [Co, Ci*prod(K)].
Tensor patch_covariance(const Tensor& x, const Shape& kernel, const ConvParams& p, bool bias);

// dy [N,Co,*S'] or [N,Co] -> G [Co, Co].
Tensor output_gradient_covariance(const Tensor& dy);

}  // namespace tessera
