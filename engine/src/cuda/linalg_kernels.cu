// The small dense-matrix kernels behind linalg.cpp and linear.cpp: bias rows, column sums in
// double, a deterministic double dot product (fixed partials, fixed fold), precision changes
// around cuSOLVER's eigensolver and K-FAC's division by eigenvalue products.
#include "launch.cuh"
#include "linalg_kernels.hpp"

namespace tessera::cuda {
namespace {

__global__ void fill_rows_kernel(const float* row, float* dst, int64_t rows, int64_t cols) {
  TESSERA_GRID_STRIDE(i, rows * cols) dst[i] = row[i % cols];
}

// One thread per column: neighbouring threads read neighbouring floats of each row.
__global__ void column_sums_kernel(const float* m, float* sums, int64_t rows, int64_t cols) {
  TESSERA_GRID_STRIDE(j, cols) {
    double s = 0;
    for (int64_t i = 0; i < rows; ++i) s += m[i * cols + j];
    sums[j] = static_cast<float>(s);
  }
}

// The sum of every thread's `value` in the block, valid in thread 0; blockDim.x == kThreads.
__device__ double block_sum(double value) {
  __shared__ double shared[kThreads];
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  return shared[0];
}

__global__ void dot_partials_kernel(const float* a, const float* b, int64_t n, double* partials) {
  double s = 0;
  TESSERA_GRID_STRIDE(i, n) s += double(a[i]) * double(b[i]);
  const double total = block_sum(s);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

__global__ void dot_fold_kernel(const double* partials, double* result) {
  double s = 0;
  for (int i = threadIdx.x; i < kDotPartials; i += kThreads) s += partials[i];
  const double total = block_sum(s);
  if (threadIdx.x == 0) *result = total;
}

__global__ void float_to_double_kernel(const float* src, double* dst, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) dst[i] = src[i];
}

__global__ void transpose_to_float_kernel(const double* src, float* dst, int64_t n) {
  TESSERA_GRID_STRIDE(i, n * n) {
    const int64_t row = i / n, col = i % n;
    dst[i] = static_cast<float>(src[col * n + row]);
  }
}

__global__ void divide_outer_kernel(const float* m, const double* rows, const double* cols,
                                    float* out, int64_t r, int64_t c) {
  TESSERA_GRID_STRIDE(i, r * c) {
    out[i] = static_cast<float>(m[i] / (rows[i / c] * cols[i % c]));
  }
}

}  // namespace

void launch_fill_rows(const float* row, float* dst, int64_t rows, int64_t cols) {
  fill_rows_kernel<<<blocks_for(rows * cols), kThreads>>>(row, dst, rows, cols);
  check_launch("fill_rows");
}

void launch_column_sums(const float* m, float* sums, int64_t rows, int64_t cols) {
  column_sums_kernel<<<blocks_for(cols), kThreads>>>(m, sums, rows, cols);
  check_launch("column_sums");
}

void launch_dot(const float* a, const float* b, int64_t n, double* partials, double* result) {
  dot_partials_kernel<<<kDotPartials, kThreads>>>(a, b, n, partials);
  check_launch("dot");
  dot_fold_kernel<<<1, kThreads>>>(partials, result);
  check_launch("dot");
}

void launch_float_to_double(const float* src, double* dst, int64_t n) {
  float_to_double_kernel<<<blocks_for(n), kThreads>>>(src, dst, n);
  check_launch("float_to_double");
}

void launch_transpose_to_float(const double* src, float* dst, int64_t n) {
  transpose_to_float_kernel<<<blocks_for(n * n), kThreads>>>(src, dst, n);
  check_launch("transpose_to_float");
}

void launch_divide_outer(const float* m, const double* rows, const double* cols, float* out,
                         int64_t r, int64_t c) {
  divide_outer_kernel<<<blocks_for(r * c), kThreads>>>(m, rows, cols, out, r, c);
  check_launch("divide_outer");
}

}  // namespace tessera::cuda
