// Small dense matrices: products through oneDNN's sgemm, eigendecompositions through LAPACK.
#include <stdexcept>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "backend.hpp"

extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                        double* w, double* work, const int* lwork, int* iwork, const int* liwork,
                        int* info);

namespace tessera::cpu {

Tensor CpuBackend::matmul(const Tensor& a_in, const Tensor& b_in, bool transpose_a,
                          bool transpose_b) {
  const Tensor a = a_in.to_plain(), b = b_in.to_plain();
  const int64_t m = transpose_a ? a.dim(1) : a.dim(0), k = transpose_a ? a.dim(0) : a.dim(1);
  const int64_t n = transpose_b ? b.dim(0) : b.dim(1);
  Tensor c = Tensor::zeros({m, n});
  const auto st = dnnl::sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, 1.f,
                              a.data(), a.dim(1), b.data(), b.dim(1), 0.f, c.data(), n);
  if (st != dnnl::status::success) throw std::runtime_error("matmul: sgemm failed");
  return c;
}

SymmetricEigen CpuBackend::symmetric_eigen(const Tensor& a_in) {
  const Tensor a = a_in.to_plain();
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

double CpuBackend::dot(const Tensor& a_in, const Tensor& b_in) {
  const Tensor a = a_in.to_plain(), b = b_in.to_plain();
  const float *pa = a.data(), *pb = b.data();
  double s = 0;  // in order, one thread: the same sum on every run
  for (int64_t i = 0; i < a.numel(); ++i) s += double(pa[i]) * pb[i];
  return s;
}

Tensor CpuBackend::divide_outer(const Tensor& m_in, const std::vector<double>& rows,
                                const std::vector<double>& cols) {
  const Tensor m = m_in.to_plain();
  Tensor out = Tensor::empty(m.shape());
  const int64_t r = m.dim(0), c = m.dim(1);
  const float* in = m.data();
  float* o = out.data();
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j)
      o[i * c + j] = float(in[i * c + j] / (rows[size_t(i)] * cols[size_t(j)]));
  return out;
}

}  // namespace tessera::cpu
