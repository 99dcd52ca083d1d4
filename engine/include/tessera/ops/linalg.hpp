#pragma once
// Dense linear algebra on small plain matrices (K-FAC's factors): products through oneDNN's
// sgemm, symmetric eigendecomposition through LAPACK.
#include <vector>

#include "tessera/tensor/tensor.hpp"

namespace tessera {

// op(a) op(b) for 2-D tensors, op = transpose where asked.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

struct SymmetricEigen {
  Tensor vectors;             // [n, n]: column k is the eigenvector of values[k]
  std::vector<float> values;  // ascending
};

// a = vectors diag(values) vectors^T for a symmetric [n, n] matrix (LAPACK dsyevd, computed
// in double). Throws when a is not square or LAPACK does not converge.
SymmetricEigen symmetric_eigen(const Tensor& a);

// sum(a * b) over all elements of two tensors of one shape, accumulated in double in order.
double dot(const Tensor& a, const Tensor& b);

// m [r, c] -> y[i][j] = m[i][j] / (rows[i] * cols[j]), in double: K-FAC's step in the factors'
// eigenbases, each row and column divided by its damped eigenvalue.
Tensor divide_outer(const Tensor& m, const std::vector<double>& rows,
                    const std::vector<double>& cols);

}  // namespace tessera
