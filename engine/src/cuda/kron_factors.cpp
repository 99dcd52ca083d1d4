// K-FAC's factors on the GPU, as on the CPU: blocks of im2col rows (kron_kernels.cu) folded into
// a Gram matrix by cuBLAS sgemm, and the output gradients' Gram matrix by sgemm per sample.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "../ops/conv_geometry.hpp"
#include "backend.hpp"
#include "kron_kernels.hpp"
#include "row_major_gemm.hpp"

namespace tessera::cuda {
namespace {

// The windows of a convolution with kernel `kernel` over x [N, C, *S] (no kernel: x [N, F]).
PatchGeometry patch_geometry(const Shape& x, const Shape& kernel, const ConvParams& p, bool bias) {
  const std::size_t sd = kernel.size();
  if (sd > std::size_t(kMaxPatchDims))
    throw std::invalid_argument("patch_covariance: " + std::to_string(sd) +
                                " spatial dims; the GPU takes up to 3");
  const ConvGeometry geometry = conv_geometry(p, sd, false);
  Shape w = {1, x[1]};
  w.insert(w.end(), kernel.begin(), kernel.end());
  const Shape out = conv_output_dims(x, w, geometry, false);
  PatchGeometry g;
  g.spatial_dims = static_cast<int>(sd);
  g.channels = x[1];
  for (std::size_t i = 0; i < sd; ++i) {
    g.in[i] = x[i + 2];
    g.out[i] = out[i + 2];
    g.kernel[i] = kernel[i];
    g.stride[i] = geometry.stride[i];
    g.pad[i] = geometry.pad_begin[i];
    g.dilation[i] = geometry.dilation[i];
    g.taps *= g.kernel[i];
    g.positions *= g.out[i];
    g.in_size *= g.in[i];
  }
  g.bias = bias;
  g.row_size = g.channels * g.taps + (bias ? 1 : 0);
  return g;
}

}  // namespace

// A = the mean over samples and output positions of a_t a_t^T, built a block of patch rows at a
// time (about 64 MiB) so that memory does not grow with the image.
Tensor CudaBackend::patch_covariance(const Tensor& x, const Shape& kernel, const ConvParams& p,
                                     bool bias) {
  use_device(device_);
  const PatchGeometry g = patch_geometry(x.shape(), kernel, p, bias);
  const int64_t d = g.row_size, rows_total = x.dim(0) * g.positions;
  const Tensor cov = Tensor::zeros(Layout::plain({d, d}), Device::cuda(device_));
  if (rows_total == 0 || d == 0) return cov;
  const int64_t block = std::clamp<int64_t>((int64_t(16) << 20) / d, 1, rows_total);
  const Tensor patches(Layout::plain({block, d}), Device::cuda(device_));
  const float alpha = 1.f / float(rows_total);
  for (int64_t first = 0; first < rows_total; first += block) {
    const int64_t rows = std::min(block, rows_total - first);
    launch_gather_patches(floats(x), g, first, rows, floats(patches));
    row_major_gemm(cublas(),
                   {.transpose_a = true, .m = d, .n = d, .k = rows, .alpha = alpha, .beta = 1.f},
                   floats(patches), floats(patches), floats(cov));
  }
  return cov;
}

// G = N * sum over samples of M M^T, M a sample's dy as a row-major [Co, positions] matrix. A
// linear layer's dy [N, Co] is all samples' M^T at once: one product, G = N dy^T dy.
Tensor CudaBackend::output_gradient_covariance(const Tensor& dy) {
  use_device(device_);
  const int64_t n = dy.dim(0), co = dy.dim(1);
  const Tensor cov = Tensor::zeros(Layout::plain({co, co}), Device::cuda(device_));
  if (dy.numel() == 0) return cov;
  const int64_t positions = dy.numel() / (n * co);
  const float batch = float(n);
  if (positions == 1) {
    row_major_gemm(cublas(), {.transpose_a = true, .m = co, .n = co, .k = n, .alpha = batch},
                   floats(dy), floats(dy), floats(cov));
    return cov;
  }
  for (int64_t s = 0; s < n; ++s) {
    const float* m = floats(dy) + s * co * positions;
    row_major_gemm(
        cublas(),
        {.transpose_b = true, .m = co, .n = co, .k = positions, .alpha = batch, .beta = 1.f}, m, m,
        floats(cov));
  }
  return cov;
}

}  // namespace tessera::cuda
