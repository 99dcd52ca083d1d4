#pragma once
// Products of row-major float matrices through cuBLAS, which is column-major: a row-major
// matrix read column-major is its transpose, so C = op(A) op(B) is computed as
// C^T = op(B)^T op(A)^T with the operands swapped. Shared by linear layers, matmul and K-FAC's
// factors. Math mode stays cuBLAS's default, so float32 products stay exact float32 (no TF32).
#include <cublas_v2.h>

#include <cstdint>

namespace tessera::cuda {

struct RowMajorGemm {
  bool transpose_a = false, transpose_b = false;
  int64_t m = 0, n = 0, k = 0;  // C [m, n], inner size k
  float alpha = 1.f, beta = 0.f;
};

// C [m, n] = alpha op(a) op(b) + beta C, all row-major and dense: a is [m, k] ([k, m] when
// transposed), b is [k, n] ([n, k] when transposed). With k = 0, C is scaled by beta.
void row_major_gemm(cublasHandle_t handle, const RowMajorGemm& g, const float* a, const float* b,
                    float* c);

}  // namespace tessera::cuda
