#pragma once
// Launchers of the small dense-matrix kernels (linalg_kernels.cu) that cuBLAS and cuSOLVER do
// not cover: bias rows, column sums, a double-precision dot product, precision changes around
// the eigensolver and K-FAC's division by eigenvalue products. Row-major arrays on the current
// GPU.
#include <cstdint>

namespace tessera::cuda {

// How many double partial sums launch_dot writes before folding them into one.
constexpr int kDotPartials = 256;

// dst [rows, cols]: every row a copy of row [cols].
void launch_fill_rows(const float* row, float* dst, int64_t rows, int64_t cols);
// sums [cols] = the sum over rows of m [rows, cols], accumulated in double.
void launch_column_sums(const float* m, float* sums, int64_t rows, int64_t cols);
// *result = sum of a[i] * b[i] in double; partials holds kDotPartials doubles. Always the same
// order of additions, so the same inputs give the same sum.
void launch_dot(const float* a, const float* b, int64_t n, double* partials, double* result);
void launch_float_to_double(const float* src, double* dst, int64_t n);
// dst [n, n] floats = the transpose of src [n, n] doubles.
void launch_transpose_to_float(const double* src, float* dst, int64_t n);
// out [r, c] = m / (rows[i] * cols[j]), in double.
void launch_divide_outer(const float* m, const double* rows, const double* cols, float* out,
                         int64_t r, int64_t c);

}  // namespace tessera::cuda
