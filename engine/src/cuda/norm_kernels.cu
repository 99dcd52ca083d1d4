// Normalisation kernels: reductions run one block per output (a statistic or a channel's sums)
// and add in double, so a plane of millions of floats keeps float accuracy; the elementwise
// passes run one thread per element.
#include "launch.cuh"
#include "norm_kernels.hpp"

namespace tessera::cuda {
namespace {

__device__ int64_t channel_of(const NormShape& s, int64_t i) {
  return (i / s.spatial) % s.channels;
}

// Group norm's statistic (sample n, group g) is n*G + c/cg = (n*C + c) / cg.
__device__ int64_t statistic_of(const NormShape& s, int64_t i) {
  const int64_t plane = i / s.spatial;
  return s.group_channels == 0 ? plane % s.channels : plane / s.group_channels;
}

// The CPU's inverse standard deviation, in float.
__device__ float inv_std_of(const NormInput& in, int64_t k) {
  return 1.f / sqrtf(in.variance[k] + in.eps);
}

__device__ float xhat_of(const NormInput& in, int64_t i) {
  const int64_t k = statistic_of(in.shape, i);
  return (in.x[i] - in.mean[k]) * inv_std_of(in, k);
}

__device__ int64_t position(const Runs& r, int64_t k, int64_t i) {
  return k * r.base_stride + (i / r.length) * r.stride + i % r.length;
}

// dy where the fused ReLU passed (or no ReLU), else 0.
__device__ float masked(const float* dy, const uint8_t* relu_mask, int64_t i) {
  return relu_mask && relu_mask[i] == 0 ? 0.f : dy[i];
}

// The sum of every thread's v, returned to all; buf holds kThreads doubles (blockDim.x is
// kThreads, a power of two).
__device__ double block_sum(double v, double* buf) {
  buf[threadIdx.x] = v;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half) buf[threadIdx.x] += buf[threadIdx.x + half];
    __syncthreads();
  }
  const double total = buf[0];
  __syncthreads();  // buf is free for the next sum
  return total;
}

// Two passes (mean, then squares about it) rather than E[x^2] - mean^2, which loses digits when
// the mean is large against the spread.
__global__ void moments_kernel(const float* x, Runs r, float* mean, float* variance) {
  __shared__ double buf[kThreads];
  const int64_t k = blockIdx.x, count = r.count * r.length;
  double sum = 0;
  for (int64_t i = threadIdx.x; i < count; i += kThreads) sum += x[position(r, k, i)];
  const double m = block_sum(sum, buf) / double(count);
  double squares = 0;
  for (int64_t i = threadIdx.x; i < count; i += kThreads) {
    const double d = x[position(r, k, i)] - m;
    squares += d * d;
  }
  const double v = block_sum(squares, buf) / double(count);
  if (threadIdx.x == 0) {
    mean[k] = float(m);
    variance[k] = float(v);
  }
}

__global__ void normalise_kernel(NormInput in, const float* gamma, const float* beta, bool relu,
                                 uint8_t* relu_mask, float* y, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) {
    const int64_t c = channel_of(in.shape, i);
    float v = gamma[c] * xhat_of(in, i) + beta[c];
    if (relu) {
      const bool passed = v > 0.f;
      if (relu_mask) relu_mask[i] = passed ? 1 : 0;
      v = passed ? v : 0.f;
    }
    y[i] = v;
  }
}

__global__ void gradient_sums_kernel(NormInput in, const float* dy, const uint8_t* relu_mask,
                                     const float* gamma, Runs r, float* sum_w, float* sum_w_xhat) {
  __shared__ double buf[kThreads];
  const int64_t k = blockIdx.x, count = r.count * r.length;
  double w_total = 0, w_xhat_total = 0;
  for (int64_t i = threadIdx.x; i < count; i += kThreads) {
    const int64_t p = position(r, k, i);
    const float w = masked(dy, relu_mask, p) * (gamma ? gamma[channel_of(in.shape, p)] : 1.f);
    w_total += w;
    w_xhat_total += double(w) * xhat_of(in, p);
  }
  const double a = block_sum(w_total, buf);
  const double b = block_sum(w_xhat_total, buf);
  if (threadIdx.x == 0) {
    sum_w[k] = float(a);
    sum_w_xhat[k] = float(b);
  }
}

__global__ void normalise_backward_kernel(NormInput in, const float* dy, const uint8_t* relu_mask,
                                          const float* gamma, const float* sum_w,
                                          const float* sum_w_xhat, bool sums_have_gamma,
                                          float count, float* dx, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) {
    const int64_t c = channel_of(in.shape, i), k = statistic_of(in.shape, i);
    const float g = gamma[c], sums_scale = sums_have_gamma ? 1.f : g;
    const float w = masked(dy, relu_mask, i) * g;
    const float mean_w = sums_scale * sum_w[k] / count;
    const float mean_w_xhat = sums_scale * sum_w_xhat[k] / count;
    dx[i] = inv_std_of(in, k) * (w - mean_w - xhat_of(in, i) * mean_w_xhat);
  }
}

}  // namespace

void launch_moments(const float* x, Runs runs, int64_t outputs, float* mean, float* variance) {
  if (outputs == 0) return;
  moments_kernel<<<static_cast<unsigned>(outputs), kThreads>>>(x, runs, mean, variance);
  check_launch("norm moments");
}

void launch_normalise(const NormInput& in, const float* gamma, const float* beta, bool relu,
                      uint8_t* relu_mask, float* y, int64_t n) {
  if (n == 0) return;
  normalise_kernel<<<blocks_for(n), kThreads>>>(in, gamma, beta, relu, relu_mask, y, n);
  check_launch("normalise");
}

void launch_gradient_sums(const NormInput& in, const float* dy, const uint8_t* relu_mask,
                          const float* gamma, Runs runs, int64_t outputs, float* sum_w,
                          float* sum_w_xhat) {
  if (outputs == 0) return;
  gradient_sums_kernel<<<static_cast<unsigned>(outputs), kThreads>>>(in, dy, relu_mask, gamma, runs,
                                                                     sum_w, sum_w_xhat);
  check_launch("norm gradient sums");
}

void launch_normalise_backward(const NormInput& in, const float* dy, const uint8_t* relu_mask,
                               const float* gamma, const float* sum_w, const float* sum_w_xhat,
                               bool sums_have_gamma, int64_t count, float* dx, int64_t n) {
  if (n == 0) return;
  normalise_backward_kernel<<<blocks_for(n), kThreads>>>(
      in, dy, relu_mask, gamma, sum_w, sum_w_xhat, sums_have_gamma, float(count), dx, n);
  check_launch("normalise backward");
}

}  // namespace tessera::cuda
