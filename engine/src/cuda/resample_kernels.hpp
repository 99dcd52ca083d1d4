#pragma once
// Launchers of the upsampling kernels (resample_kernels.cu) on plain float tensors on the
// current GPU.
#include <cstdint>

namespace tessera::cuda {

enum class ResampleMode { nearest, linear };

// Planes (N*C of them) of D x H x W cells upsampled by whole factors (out = in * factor); 1D and
// 2D inputs have leading spatial dims of size 1.
struct ResampleGeometry {
  int64_t planes = 0;
  int64_t in[3] = {1, 1, 1};
  int64_t out[3] = {1, 1, 1};
};

void launch_upsample_forward(ResampleMode mode, const ResampleGeometry& g, const float* x,
                             float* y);
void launch_upsample_backward(ResampleMode mode, const ResampleGeometry& g, const float* dy,
                              float* dx);

}  // namespace tessera::cuda
