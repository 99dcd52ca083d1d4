// The loss kernels: the CPU backend's formulas term for term (cpu/loss.cpp), in double where it
// computes in double, so a GPU loss differs from the CPU's only by the order of its sums.
#include <algorithm>
#include <cmath>

#include "launch.cuh"
#include "loss_kernels.hpp"

namespace tessera::cuda {
namespace {

// std::max's choice (the first unless the second is larger), for bit-equal results.
__device__ double larger(double a, double b) {
  return a < b ? b : a;
}

__device__ float scale_at(const float* weight, const float* mask, int64_t i) {
  return (weight ? weight[i] : 1.f) * (mask ? mask[i] : 1.f);
}

// Two branches so exp never overflows (as the CPU's sigmoid).
__device__ double sigmoid(double z) {
  if (z >= 0) return 1 / (1 + exp(-z));
  const double e = exp(z);
  return e / (1 + e);
}

// The sum of every thread's `v` over a block of kThreads, valid in thread 0 only (so a kernel
// may call it again at once: only thread 0 reads the shared slot it will next write itself).
__device__ double block_sum(double v) {
  __shared__ double shared[kThreads];
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  return threadIdx.x == 0 ? shared[0] : 0.0;
}

__device__ void write_partial(double v, double* partials) {
  const double sum = block_sum(v);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

__global__ void sum_partials_kernel(const double* partials, int64_t count, double* total) {
  double v = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) v += partials[i];
  const double sum = block_sum(v);
  if (threadIdx.x == 0) *total = sum;
}

unsigned reduce_blocks(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>(blocks_for(n), kReduceBlocks));
}

void finish_sum(unsigned blocks, ReduceBuffers sums, const char* what) {
  check_launch(what);
  sum_partials_kernel<<<1, kThreads>>>(sums.partials, blocks, sums.total);
  check_launch(what);
}

__global__ void first_nan_kernel(const float* t, int64_t n, unsigned long long* first) {
  TESSERA_GRID_STRIDE(i, n) {
    if (isnan(t[i])) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

__global__ void first_bad_label_kernel(const float* labels, int64_t n, int64_t classes,
                                       unsigned long long* first) {
  TESSERA_GRID_STRIDE(i, n) {
    const float l = labels[i];
    if (!(l < 0 || (l < float(classes) && l == floorf(l))))
      atomicMin(first, static_cast<unsigned long long>(i));
  }
}

void start_scan(unsigned long long* first, const char* what) {
  const cudaError_t e = cudaMemset(first, 0xff, sizeof(*first));  // kNotFound
  if (e != cudaSuccess)
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e) + " (CUDA)");
}

__global__ void count_kernel(Count which, const float* mask, const float* values, int64_t n,
                             double* partials) {
  double sum = 0;
  TESSERA_GRID_STRIDE(i, n) {
    const bool counted =
        which == Count::all || (which == Count::labelled ? values[i] >= 0 : values[i] == 1.f);
    if (counted) sum += mask ? mask[i] : 1.f;
  }
  write_partial(sum, partials);
}

// {loss, d loss / d prediction} of one element, as the CPU's lambdas.
__device__ void point_term(PointLoss kind, double p, double t, double& loss, double& dloss) {
  const double d = p - t;
  switch (kind) {
    case PointLoss::mse:
      loss = d * d;
      dloss = 2 * d;
      return;
    case PointLoss::l1:
      loss = fabs(d);
      dloss = double((d > 0) - (d < 0));
      return;
    case PointLoss::bce:
      break;
  }
  // One float exp and logf, as the CPU does for speed; the sum stays in double.
  const float zf = float(p), e = expf(-fabsf(zf));
  loss = larger(p, 0.0) - p * t + double(logf(1.f + e));
  const double sigmoid_z = zf >= 0 ? 1 / (1 + double(e)) : double(e) / (1 + double(e));
  dloss = sigmoid_z - t;
}

__global__ void point_loss_kernel(PointLoss kind, const float* pred, const float* target,
                                  const float* weight, const float* mask, int64_t n, double denom,
                                  float* grad, double* partials) {
  double sum = 0;
  TESSERA_GRID_STRIDE(i, n) {
    const double e = scale_at(weight, mask, i);
    if (e == 0) continue;  // excluded terms may be inf; keep them out
    double loss, dloss;
    point_term(kind, double(pred[i]), double(target[i]), loss, dloss);
    sum += e * loss;
    grad[i] = float(e * dloss / denom);
  }
  write_partial(sum, partials);
}

__global__ void softmax_cross_entropy_kernel(const float* z, const float* labels,
                                             const float* weight, const float* mask, int64_t pixels,
                                             int64_t classes, int64_t spatial, double denom,
                                             float* grad, double* partials) {
  double sum = 0;
  TESSERA_GRID_STRIDE(i, pixels) {
    const double e = scale_at(weight, mask, i);
    if (labels[i] < 0 || e == 0) continue;
    // Channel c of pixel i is at base + c * spatial.
    const int64_t base = (i / spatial) * classes * spatial + i % spatial;
    float zmax = z[base];
    for (int64_t c = 1; c < classes; ++c) {
      const float v = z[base + c * spatial];
      zmax = zmax < v ? v : zmax;
    }
    double sum_exp = 0;
    for (int64_t c = 0; c < classes; ++c) sum_exp += exp(double(z[base + c * spatial]) - zmax);
    const double lse = zmax + log(sum_exp);
    const int64_t label = int64_t(labels[i]);
    sum += e * (lse - z[base + label * spatial]);
    for (int64_t c = 0; c < classes; ++c) {
      const double prob = exp(double(z[base + c * spatial]) - lse);
      grad[base + c * spatial] = float(e * (prob - (c == label)) / denom);
    }
  }
  write_partial(sum, partials);
}

__global__ void centre_focal_kernel(const float* z, const float* target, const float* mask,
                                    int64_t n, float alpha, float beta, double denom, float* grad,
                                    double* partials) {
  double sum = 0;
  TESSERA_GRID_STRIDE(i, n) {
    if (mask && mask[i] == 0) continue;
    const double x = z[i], p = sigmoid(x);
    // log p and log(1 - p) from softplus, exact for large |z|.
    const double log_p = -(larger(-x, 0.0) + log1p(exp(-fabs(x))));
    const double log_q = log_p - x;
    double loss, dloss;
    if (target[i] == 1.f) {
      const double q_a = pow(1 - p, double(alpha));
      loss = -q_a * log_p;
      dloss = alpha * p * q_a * log_p - q_a * (1 - p);
    } else {
      const double w = pow(1 - double(target[i]), double(beta)), p_a = pow(p, double(alpha));
      loss = -w * p_a * log_q;
      dloss = w * p_a * (p - alpha * (1 - p) * log_q);
    }
    sum += loss;
    grad[i] = float(dloss / denom);
  }
  write_partial(sum, partials);
}

// Grid (chunks, pairs): block (c, k) sums its share of pair k into partials[(k*chunks + c)*3].
__global__ void dice_partials_kernel(const float* z, const float* t, const float* weight,
                                     const float* mask, int64_t pairs, int64_t spatial,
                                     double* partials) {
  for (int64_t k = blockIdx.y; k < pairs; k += gridDim.y) {
    double inter = 0, psum = 0, tsum = 0;
    for (int64_t s = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; s < spatial;
         s += int64_t(blockDim.x) * gridDim.x) {
      const int64_t i = k * spatial + s;
      const double e = scale_at(weight, mask, i), p = sigmoid(z[i]);
      inter += e * p * t[i];
      psum += e * p;
      tsum += e * t[i];
    }
    inter = block_sum(inter);
    psum = block_sum(psum);
    tsum = block_sum(tsum);
    if (threadIdx.x == 0) {
      double* out = partials + (k * gridDim.x + blockIdx.x) * 3;
      out[0] = inter;
      out[1] = psum;
      out[2] = tsum;
    }
  }
}

__global__ void dice_sums_kernel(const double* partials, int64_t pairs, int64_t chunks,
                                 double* sums) {
  TESSERA_GRID_STRIDE(k, pairs) {
    for (int v = 0; v < 3; ++v) {
      double s = 0;
      for (int64_t c = 0; c < chunks; ++c) s += partials[(k * chunks + c) * 3 + v];
      sums[k * 3 + v] = s;
    }
  }
}

__global__ void dice_grad_kernel(const float* z, const float* t, const float* weight,
                                 const float* mask, int64_t pairs, int64_t spatial,
                                 const double* sums, float smooth, float* grad) {
  TESSERA_GRID_STRIDE(i, pairs * spatial) {
    const int64_t k = i / spatial;
    const double num = 2 * sums[k * 3] + smooth, den = sums[k * 3 + 1] + sums[k * 3 + 2] + smooth;
    const double e = scale_at(weight, mask, i);
    if (e == 0 || den <= 0) {
      grad[i] = 0.f;
      continue;
    }
    // d loss_k / d p_i = e_i (num_k - 2 t_i den_k) / den_k^2, and d p / d z = p (1 - p).
    const double p = sigmoid(z[i]);
    const double dp = e * (num - 2 * t[i] * den) / (den * den);
    grad[i] = float(dp * p * (1 - p) / double(pairs));
  }
}

}  // namespace

void launch_first_nan(const float* t, int64_t n, unsigned long long* first) {
  start_scan(first, "first_nan");
  first_nan_kernel<<<blocks_for(n), kThreads>>>(t, n, first);
  check_launch("first_nan");
}

void launch_first_bad_label(const float* labels, int64_t n, int64_t classes,
                            unsigned long long* first) {
  start_scan(first, "first_bad_label");
  first_bad_label_kernel<<<blocks_for(n), kThreads>>>(labels, n, classes, first);
  check_launch("first_bad_label");
}

void launch_count(Count which, const float* mask, const float* values, int64_t n,
                  ReduceBuffers sums) {
  const unsigned blocks = reduce_blocks(n);
  count_kernel<<<blocks, kThreads>>>(which, mask, values, n, sums.partials);
  finish_sum(blocks, sums, "loss count");
}

void launch_point_loss(PointLoss kind, const float* pred, const float* target, const float* weight,
                       const float* mask, int64_t n, double denom, float* grad,
                       ReduceBuffers sums) {
  const unsigned blocks = reduce_blocks(n);
  point_loss_kernel<<<blocks, kThreads>>>(kind, pred, target, weight, mask, n, denom, grad,
                                          sums.partials);
  finish_sum(blocks, sums, "point_loss");
}

void launch_softmax_cross_entropy(const float* logits, const float* labels, const float* weight,
                                  const float* mask, int64_t pixels, int64_t classes,
                                  int64_t spatial, double denom, float* grad, ReduceBuffers sums) {
  const unsigned blocks = reduce_blocks(pixels);
  softmax_cross_entropy_kernel<<<blocks, kThreads>>>(logits, labels, weight, mask, pixels, classes,
                                                     spatial, denom, grad, sums.partials);
  finish_sum(blocks, sums, "softmax_cross_entropy");
}

void launch_centre_focal(const float* logits, const float* target, const float* mask, int64_t n,
                         float alpha, float beta, double denom, float* grad, ReduceBuffers sums) {
  const unsigned blocks = reduce_blocks(n);
  centre_focal_kernel<<<blocks, kThreads>>>(logits, target, mask, n, alpha, beta, denom, grad,
                                            sums.partials);
  finish_sum(blocks, sums, "centre_focal");
}

void launch_dice_sums(const float* logits, const float* target, const float* weight,
                      const float* mask, int64_t pairs, int64_t spatial, double* partials,
                      double* sums) {
  const unsigned chunks =
      static_cast<unsigned>(std::min<int64_t>(blocks_for(spatial), kDiceChunks));
  const dim3 grid(chunks, static_cast<unsigned>(std::min<int64_t>(pairs, 65535)));
  dice_partials_kernel<<<grid, kThreads>>>(logits, target, weight, mask, pairs, spatial, partials);
  check_launch("dice_sums");
  dice_sums_kernel<<<blocks_for(pairs), kThreads>>>(partials, pairs, chunks, sums);
  check_launch("dice_sums");
}

void launch_dice_grad(const float* logits, const float* target, const float* weight,
                      const float* mask, int64_t pairs, int64_t spatial, const double* sums,
                      float smooth, float* grad) {
  dice_grad_kernel<<<blocks_for(pairs * spatial), kThreads>>>(logits, target, weight, mask, pairs,
                                                              spatial, sums, smooth, grad);
  check_launch("dice_grad");
}

}  // namespace tessera::cuda
