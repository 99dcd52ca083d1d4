// K-FAC's factors from patches: blocks of im2col rows folded into a Gram matrix by sgemm.
#include <algorithm>
#include <stdexcept>

#include <oneapi/dnnl/dnnl.hpp>

#include "backend.hpp"

namespace tessera::cpu {

namespace {

Shape per_dim(const Shape& v, size_t n, int64_t def) {
  return v.empty() ? Shape(n, def) : v;
}

// C [m, m] += alpha * P^T P for row-major P [rows, m].
void add_gram(const float* p, int64_t rows, int64_t m, float alpha, float* c) {
  const auto st = dnnl::sgemm('T', 'N', m, m, rows, alpha, p, m, p, m, 1.f, c, m);
  if (st != dnnl::status::success) throw std::runtime_error("sgemm failed in patch_covariance");
}

}  // namespace

Tensor CpuBackend::patch_covariance(const Tensor& x_in, const Shape& kernel, const ConvParams& p,
                                    bool bias) {
  const Tensor x = x_in.to_plain();
  const size_t sd = kernel.size();
  const int64_t n = x.dim(0), c = x.dim(1);
  const Shape in(x.shape().begin() + 2, x.shape().end());
  Shape w_shape = {1, c};
  w_shape.insert(w_shape.end(), kernel.begin(), kernel.end());
  const Shape out_full = sd ? conv_output_shape(x.shape(), w_shape, p) : Shape{n, 1};
  const Shape out(out_full.begin() + 2, out_full.end());
  const Shape stride = per_dim(p.stride, sd, 1), pad = per_dim(p.padding, sd, 0),
              dil = per_dim(p.dilation, sd, 1);

  const int64_t taps = product(kernel), positions = product(out), in_size = product(in);
  const int64_t d = c * taps + (bias ? 1 : 0);
  // Input strides of the spatial dims, innermost last.
  Shape in_stride(sd, 1);
  for (size_t i = sd; i-- > 1;) in_stride[i - 1] = in_stride[i] * in[i];

  Tensor cov = Tensor::zeros({d, d});
  // Patches are built a block of positions at a time (about 16 MiB) and folded into the Gram
  // matrix, so memory does not grow with the image.
  const int64_t rows_total = n * positions;
  const int64_t block = std::clamp<int64_t>((int64_t(4) << 20) / d, 1, rows_total);
  std::vector<float> patches(size_t(block * d));
  const float* xd = x.data();
  for (int64_t r0 = 0; r0 < rows_total; r0 += block) {
    const int64_t rows = std::min(block, rows_total - r0);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t sample = (r0 + r) / positions;
      int64_t pos = (r0 + r) % positions;
      // The window origin of this output position, per spatial dim.
      Shape origin(sd);
      for (size_t i = sd; i-- > 0;) {
        origin[i] = (pos % out[i]) * stride[i] - pad[i];
        pos /= out[i];
      }
      float* row = patches.data() + r * d;
      for (int64_t t = 0; t < taps; ++t) {
        int64_t tt = t, offset = 0;
        bool inside = true;
        for (size_t i = sd; i-- > 0;) {
          const int64_t at = origin[i] + (tt % kernel[i]) * dil[i];
          tt /= kernel[i];
          inside = inside && at >= 0 && at < in[i];
          offset += at * in_stride[i];
        }
        const float* src = xd + sample * c * in_size + offset;
        for (int64_t ch = 0; ch < c; ++ch) row[ch * taps + t] = inside ? src[ch * in_size] : 0.f;
      }
      if (bias) row[d - 1] = 1.f;
    }
    add_gram(patches.data(), rows, d, 1.f / float(rows_total), cov.data());
  }
  return cov;
}

Tensor CpuBackend::output_gradient_covariance(const Tensor& dy_in) {
  const Tensor dy = dy_in.to_plain();
  const int64_t n = dy.dim(0), co = dy.dim(1), positions = dy.numel() / (n * co);
  Tensor cov = Tensor::zeros({co, co});
  // Each sample's dy is a row-major [Co, positions] matrix M: G += N * M M^T.
  for (int64_t s = 0; s < n; ++s) {
    const float* m = dy.data() + s * co * positions;
    const auto st = dnnl::sgemm('N', 'T', co, co, positions, float(n), m, positions, m, positions,
                                1.f, cov.data(), co);
    if (st != dnnl::status::success)
      throw std::runtime_error("sgemm failed in output_gradient_covariance");
  }
  return cov;
}

}  // namespace tessera::cpu
