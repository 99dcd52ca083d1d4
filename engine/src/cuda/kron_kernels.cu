// The im2col gather behind K-FAC's input factor: one thread per entry of a block of patch rows,
// which cuBLAS then folds into the Gram matrix (kron_factors.cpp).
#include "kron_kernels.hpp"
#include "launch.cuh"

namespace tessera::cuda {
namespace {

// The input element (or 0 in the padding) at `column` of patch row `row`.
__device__ float patch_entry(const float* x, const PatchGeometry& g, int64_t row, int64_t column) {
  if (g.bias && column == g.row_size - 1) return 1.f;
  const int64_t sample = row / g.positions, channel = column / g.taps;
  int64_t position = row % g.positions, tap = column % g.taps, offset = 0, step = 1;
  // Innermost spatial dim first: output position and tap both unravel row-major.
  for (int i = g.spatial_dims - 1; i >= 0; --i) {
    const int64_t at =
        (position % g.out[i]) * g.stride[i] - g.pad[i] + (tap % g.kernel[i]) * g.dilation[i];
    position /= g.out[i];
    tap /= g.kernel[i];
    if (at < 0 || at >= g.in[i]) return 0.f;
    offset += at * step;
    step *= g.in[i];
  }
  return x[(sample * g.channels + channel) * g.in_size + offset];
}

__global__ void gather_patches_kernel(const float* x, PatchGeometry g, int64_t first_row,
                                      int64_t rows, float* patches) {
  TESSERA_GRID_STRIDE(i, rows * g.row_size) {
    patches[i] = patch_entry(x, g, first_row + i / g.row_size, i % g.row_size);
  }
}

}  // namespace

void launch_gather_patches(const float* x, const PatchGeometry& g, int64_t first_row, int64_t rows,
                           float* patches) {
  gather_patches_kernel<<<blocks_for(rows * g.row_size), kThreads>>>(x, g, first_row, rows,
                                                                     patches);
  check_launch("gather_patches");
}

}  // namespace tessera::cuda
