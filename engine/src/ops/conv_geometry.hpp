#pragma once
// A convolution's spatial settings resolved once for every backend: defaults filled in per
// spatial dim, checked, and the output size derived.
#include <cstddef>

#include "tessera/ops/conv.hpp"

namespace tessera {

struct ConvGeometry {
  Shape stride, dilation;    // dilation 1: dense
  Shape pad_begin, pad_end;  // transposed: pad_end is padding - output_padding
};

ConvGeometry conv_geometry(const ConvParams& p, std::size_t spatial_dims, bool transposed);

// [N,Ci,*S] and [Co,Ci/g,*K] -> [N,Co,*S'].
Shape conv_output_dims(const Shape& x, const Shape& w, const ConvGeometry& g, bool transposed);

}  // namespace tessera
