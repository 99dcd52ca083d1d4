#pragma once
// Launcher of the patch gather behind K-FAC's input factor (kron_kernels.cu): rows of im2col,
// each the input window one output position of a convolution reads.
#include <cstdint>

namespace tessera::cuda {

constexpr int kMaxPatchDims = 3;

// A convolution's windows over x [N, channels, *in]; spatial dims 0 (a linear layer) to 3.
struct PatchGeometry {
  int spatial_dims = 0;
  int64_t channels = 0;
  int64_t in[kMaxPatchDims] = {}, out[kMaxPatchDims] = {}, kernel[kMaxPatchDims] = {};
  int64_t stride[kMaxPatchDims] = {}, pad[kMaxPatchDims] = {}, dilation[kMaxPatchDims] = {};
  int64_t taps = 1, positions = 1, in_size = 1;  // products of kernel, out and in
  int64_t row_size = 0;                          // channels * taps, plus one for the bias
  bool bias = false;
};

// patches [rows, row_size]: the windows of rows first_row .. first_row + rows - 1, a row per
// (sample, output position) in that order; entry channel * taps + tap (the order of a plain
// weight [Co, Ci, *K]), zero outside the input, and 1 last with the bias.
void launch_gather_patches(const float* x, const PatchGeometry& g, int64_t first_row, int64_t rows,
                           float* patches);

}  // namespace tessera::cuda
