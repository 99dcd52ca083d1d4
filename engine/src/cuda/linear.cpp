// Linear (fully connected) layers on cuBLAS: y = x w^T + b as one sgemm onto the broadcast bias;
// the gradients as two sgemms and a column sum (linalg_kernels.cu).
#include "backend.hpp"
#include "linalg_kernels.hpp"
#include "row_major_gemm.hpp"

namespace tessera::cuda {

// x [N,F], w [O,F], b [O] or undefined -> y [N,O].
Tensor CudaBackend::linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  use_device(device_);
  const int64_t n = x.dim(0), f = x.dim(1), o = w.dim(0);
  const Tensor y(Layout::plain({n, o}), Device::cuda(device_));
  if (b.defined()) launch_fill_rows(floats(b), floats(y), n, o);
  row_major_gemm(cublas(),
                 {.transpose_b = true, .m = n, .n = o, .k = f, .beta = b.defined() ? 1.f : 0.f},
                 floats(x), floats(w), floats(y));
  return y;
}

// dx [N,F] = dy w, dw [O,F] = dy^T x, db [O] = the column sums of dy.
ConvGrads CudaBackend::linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                       bool has_bias, bool need_dx) {
  use_device(device_);
  const int64_t n = x.dim(0), f = x.dim(1), o = w.dim(0);
  const Device gpu = Device::cuda(device_);
  ConvGrads out;
  if (need_dx) {
    out.dx = Tensor(Layout::plain({n, f}), gpu);
    row_major_gemm(cublas(), {.m = n, .n = f, .k = o}, floats(dy), floats(w), floats(out.dx));
  }
  out.dw = Tensor(Layout::plain({o, f}), gpu);
  row_major_gemm(cublas(), {.transpose_a = true, .m = o, .n = f, .k = n}, floats(dy), floats(x),
                 floats(out.dw));
  if (has_bias) {
    out.db = Tensor(Layout::plain({o}), gpu);
    launch_column_sums(floats(dy), floats(out.db), n, o);
  }
  return out;
}

}  // namespace tessera::cuda
