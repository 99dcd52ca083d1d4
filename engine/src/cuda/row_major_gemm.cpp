// Row-major sgemm on cuBLAS by the transpose identity (row_major_gemm.hpp).
#include "row_major_gemm.hpp"

#include <climits>
#include <stdexcept>
#include <string>

#include "cuda_check.hpp"

namespace tessera::cuda {
namespace {

// cuBLAS's sizes and leading dimensions are int.
int as_int(int64_t v) {
  if (v > INT_MAX)
    throw std::invalid_argument("matrix size " + std::to_string(v) + " exceeds cuBLAS's int sizes");
  return static_cast<int>(v);
}

}  // namespace

void row_major_gemm(cublasHandle_t handle, const RowMajorGemm& g, const float* a, const float* b,
                    float* c) {
  if (g.m == 0 || g.n == 0) return;
  // A row-major [rows, cols] matrix is column-major with leading dimension cols.
  const int64_t lda = g.transpose_a ? g.m : g.k, ldb = g.transpose_b ? g.k : g.n;
  // With k = 0 the leading dimensions may be 0, which cuBLAS rejects; any value >= 1 is valid.
  check(cublasSgemm(handle, g.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                    g.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, as_int(g.n), as_int(g.m),
                    as_int(g.k), &g.alpha, b, as_int(ldb > 0 ? ldb : 1), a,
                    as_int(lda > 0 ? lda : 1), &g.beta, c, as_int(g.n)),
        "cublasSgemm [" + std::to_string(g.m) + "x" + std::to_string(g.k) + "] x [" +
            std::to_string(g.k) + "x" + std::to_string(g.n) + "]");
}

}  // namespace tessera::cuda
