#pragma once
// U-Net builder (Ronneberger et al. 2015) for 2D and 3D.
#include <memory>
#include <vector>

#include "tessera/nn/containers.hpp"
#include "tessera/ops/activation.hpp"
#include "tessera/ops/pool.hpp"

namespace tessera {

struct UNetOptions {
  int dims = 2;  // 2: [N,C,H,W]; 3: [N,C,D,H,W]
  int64_t in_channels = 1;
  int64_t out_channels = 1;
  std::vector<int64_t> channels = {32, 64, 128, 256};  // per level, top to bottom
  enum class Norm { batch, group, none } norm = Norm::batch;
  int64_t norm_groups = 8;                   // group norm only
  PoolKind down = PoolKind::max;             // 2x pooling between levels
  Activation activation = Activation::relu;  // after each normalization (ELU uses alpha 1)
  // true: 3x3 convolutions with padding 1 (output the size of the input, which must be a
  // multiple of 2^(levels-1)); false: unpadded convolutions, skips centre-cropped.
  bool padded = true;
  // Reversible U-Net: each level is one [conv-norm-activation] that sets the channels, then
  // `rev_blocks` additive coupling blocks whose activations are rebuilt during backward
  // instead of stored (a hybrid design: stored level inputs, reversible stages).
  bool reversible = false;
  int rev_blocks = 2;
  uint64_t seed = 0;
};

// Plain: each level two [conv 3 -> norm -> activation]; 2x pooling down (max by default); 2x2
// stride-2 transposed conv up (halving channels), concatenation with the skip, two
// [conv-norm-ReLU]; final 1x1 conv.
std::unique_ptr<Graph> make_unet(const UNetOptions& o);

}  // namespace tessera
