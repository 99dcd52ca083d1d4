#pragma once
// Launchers of the normalisation kernels (norm_kernels.cu) behind batch norm and group norm
// (norm.cpp) on plain [N,C,S] float data, S the product of the spatial dims (1 for [N,C]).
// Both norms share them: they differ only in which elements one statistic covers.
#include <cstdint>

namespace tessera::cuda {

// Where element i of x finds its channel and its statistic (mean, variance).
struct NormShape {
  int64_t channels = 1;        // C
  int64_t spatial = 1;         // S
  int64_t group_channels = 0;  // group norm: channels per group; 0 for batch norm (per channel)
};

// The elements one reduction output covers, as `count` runs of `length` consecutive floats:
// output k, element i sits at k * base_stride + (i / length) * stride + i % length.
// Per channel: N runs of S (stride C*S, base S); per (sample, group): one run of C/G*S.
struct Runs {
  int64_t count = 1, length = 1, stride = 0, base_stride = 0;
};

// x normalised with a statistic per element (x - mean) / sqrt(variance + eps).
struct NormInput {
  const float* x = nullptr;
  const float* mean = nullptr;
  const float* variance = nullptr;
  float eps = 0;
  NormShape shape;
};

// Mean and biased variance of each of `outputs` reductions (two passes in double).
void launch_moments(const float* x, Runs runs, int64_t outputs, float* mean, float* variance);

// y = gamma[c] * xhat + beta[c] over n elements; with relu y = max(0, y), and when relu_mask is
// not null it records (1 or 0) which elements passed.
void launch_normalise(const NormInput& in, const float* gamma, const float* beta, bool relu,
                      uint8_t* relu_mask, float* y, int64_t n);

// Per reduction output: sum of w and of w * xhat, w = dy (zero where a non-null relu_mask is 0),
// times gamma[c] when gamma is not null (summed in double).
void launch_gradient_sums(const NormInput& in, const float* dy, const uint8_t* relu_mask,
                          const float* gamma, Runs runs, int64_t outputs, float* sum_w,
                          float* sum_w_xhat);

// dx = inv_std * (w - (sum_w + xhat * sum_w_xhat) / count), w = dy * gamma[c] (masked as above),
// the sums indexed by statistic; sums_have_gamma false: they are of dy alone (batch norm, where
// statistic and channel coincide) and are scaled by gamma[c] here.
void launch_normalise_backward(const NormInput& in, const float* dy, const uint8_t* relu_mask,
                               const float* gamma, const float* sum_w, const float* sum_w_xhat,
                               bool sums_have_gamma, int64_t count, float* dx, int64_t n);

}  // namespace tessera::cuda
