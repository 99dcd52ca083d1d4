#include "tessera/ops/linalg.hpp"

#include <stdexcept>

#include "dispatch.hpp"

namespace tessera {

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  if (!a.defined() || !b.defined() || a.ndim() != 2 || b.ndim() != 2)
    throw std::invalid_argument(
        "matmul: operands " + (a.defined() ? to_string(a.shape()) : std::string("undefined")) +
        " and " + (b.defined() ? to_string(b.shape()) : std::string("undefined")) +
        " are not matrices");
  const int64_t k = transpose_a ? a.dim(0) : a.dim(1), kb = transpose_b ? b.dim(1) : b.dim(0);
  if (k != kb)
    throw std::invalid_argument("matmul: inner sizes differ: " + to_string(a.shape()) +
                                (transpose_a ? "^T" : "") + " x " + to_string(b.shape()) +
                                (transpose_b ? "^T" : ""));
  return backend_of("matmul", a, b).matmul(a, b, transpose_a, transpose_b);
}

SymmetricEigen symmetric_eigen(const Tensor& a) {
  if (!a.defined() || a.ndim() != 2 || a.dim(0) != a.dim(1))
    throw std::invalid_argument(
        "symmetric_eigen: " + (a.defined() ? to_string(a.shape()) : std::string("undefined")) +
        " is not square");
  return backend_of("symmetric_eigen", a).symmetric_eigen(a);
}

double dot(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined() || a.shape() != b.shape())
    throw std::invalid_argument("dot: operands of different shapes");
  return backend_of("dot", a, b).dot(a, b);
}

Tensor divide_outer(const Tensor& m, const std::vector<double>& rows,
                    const std::vector<double>& cols) {
  if (!m.defined() || m.ndim() != 2 || size_t(m.dim(0)) != rows.size() ||
      size_t(m.dim(1)) != cols.size())
    throw std::invalid_argument("divide_outer: matrix " +
                                (m.defined() ? to_string(m.shape()) : std::string("undefined")) +
                                " for " + std::to_string(rows.size()) + " rows and " +
                                std::to_string(cols.size()) + " columns");
  return backend_of("divide_outer", m).divide_outer(m, rows, cols);
}

}  // namespace tessera
