#pragma once
// Invertible downsampling: each factor^d block of pixels becomes factor^d channels, so the
// spatial size shrinks without losing anything (Jacobsen et al. 2018, i-RevNet).
#include "tessera/tensor/tensor.hpp"

namespace tessera {

// x [N,C,*S] -> [N, C*f^d, *S/f], channel c*f^d + (offset within the block, row-major).
// Every spatial size must be a multiple of f.
Tensor space_to_depth(const Tensor& x, int64_t factor);
// The exact inverse: [N, C*f^d, *S] -> [N, C, *S*f].
Tensor depth_to_space(const Tensor& y, int64_t factor);

}  // namespace tessera
