#include "tessera/ops/linalg.hpp"

#include <stdexcept>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                        double* w, double* work, const int* lwork, int* iwork, const int* liwork,
                        int* info);

namespace tessera {

Tensor matmul(const Tensor& a_in, const Tensor& b_in, bool transpose_a, bool transpose_b) {
  const Tensor a = a_in.to_plain(), b = b_in.to_plain();
  if (a.ndim() != 2 || b.ndim() != 2)
    throw std::invalid_argument("matmul: operands " + to_string(a.shape()) + " and " +
                                to_string(b.shape()) + " are not matrices");
  const int64_t m = transpose_a ? a.dim(1) : a.dim(0), k = transpose_a ? a.dim(0) : a.dim(1);
  const int64_t kb = transpose_b ? b.dim(1) : b.dim(0), n = transpose_b ? b.dim(0) : b.dim(1);
  if (k != kb)
    throw std::invalid_argument("matmul: inner sizes differ: " + to_string(a.shape()) +
                                (transpose_a ? "^T" : "") + " x " + to_string(b.shape()) +
                                (transpose_b ? "^T" : ""));
  Tensor c = Tensor::zeros({m, n});
  const auto st = dnnl::sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, 1.f,
                              a.data(), a.dim(1), b.data(), b.dim(1), 0.f, c.data(), n);
  if (st != dnnl::status::success) throw std::runtime_error("matmul: sgemm failed");
  return c;
}

SymmetricEigen symmetric_eigen(const Tensor& a_in) {
  const Tensor a = a_in.to_plain();
  if (a.ndim() != 2 || a.dim(0) != a.dim(1))
    throw std::invalid_argument("symmetric_eigen: " + to_string(a.shape()) + " is not square");
  const int n = static_cast<int>(a.dim(0));
  // Symmetric: row-major and column-major storage are the same matrix.
  std::vector<double> m(a.data(), a.data() + a.numel());
  std::vector<double> w(static_cast<size_t>(n));
  const char jobz = 'V', uplo = 'U';
  int info = 0, lwork = -1, liwork = -1, iwork_size = 0;
  double work_size = 0;
  dsyevd_(&jobz, &uplo, &n, m.data(), &n, w.data(), &work_size, &lwork, &iwork_size, &liwork,
          &info);
  lwork = static_cast<int>(work_size);
  liwork = iwork_size;
  std::vector<double> work(size_t(std::max(1, lwork)));
  std::vector<int> iwork(size_t(std::max(1, liwork)));
  dsyevd_(&jobz, &uplo, &n, m.data(), &n, w.data(), work.data(), &lwork, iwork.data(), &liwork,
          &info);
  if (info != 0)
    throw std::runtime_error("symmetric_eigen: LAPACK dsyevd failed (info " + std::to_string(info) +
                             ") on a " + std::to_string(n) + "x" + std::to_string(n) +
                             " matrix; does it hold NaN?");
  SymmetricEigen e{Tensor::empty({n, n}), std::vector<float>(w.begin(), w.end())};
  // LAPACK returns eigenvector k as column k of a column-major matrix.
  float* v = e.vectors.data();
  for (int k = 0; k < n; ++k)
    for (int i = 0; i < n; ++i) v[i * n + k] = static_cast<float>(m[size_t(k) * n + i]);
  return e;
}

}  // namespace tessera
