// Nearest and linear upsampling on the GPU (resample_kernels.cu).
#include "backend.hpp"
#include "resample_kernels.hpp"

namespace tessera::cuda {
namespace {

// 1D and 2D inputs fill the leading spatial dims.
ResampleGeometry geometry_of(const Shape& x_shape, const Shape& scale) {
  ResampleGeometry g;
  g.planes = x_shape[0] * x_shape[1];
  const size_t spatial = x_shape.size() - 2, lead = 3 - spatial;
  for (size_t i = 0; i < spatial; ++i) {
    g.in[lead + i] = x_shape[2 + i];
    g.out[lead + i] = x_shape[2 + i] * scale[i];
  }
  return g;
}

ResampleMode kernel_mode(UpsampleMode m) {
  return m == UpsampleMode::nearest ? ResampleMode::nearest : ResampleMode::linear;
}

}  // namespace

Tensor CudaBackend::upsample_forward(const Tensor& x, UpsampleMode mode, const Shape& scale) {
  use_device(device_);
  const Tensor y(Layout::plain(upsample_output_shape(x.shape(), scale)), Device::cuda(device_));
  launch_upsample_forward(kernel_mode(mode), geometry_of(x.shape(), scale), floats(x), floats(y));
  return y;
}

Tensor CudaBackend::upsample_backward(const Tensor& dy, const Layout& x_layout, UpsampleMode mode,
                                      const Shape& scale) {
  use_device(device_);
  const Tensor dx(Layout::plain(x_layout.dims), Device::cuda(device_));
  launch_upsample_backward(kernel_mode(mode), geometry_of(x_layout.dims, scale), floats(dy),
                           floats(dx));
  return dx;
}

}  // namespace tessera::cuda
