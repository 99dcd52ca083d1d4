// Small dense matrices on the GPU (K-FAC's factors): products through cuBLAS, symmetric
// eigendecompositions through cuSOLVER in double (as the CPU's LAPACK dsyevd), a dot product
// and a division by eigenvalue products in kernels (linalg_kernels.cu).
#include <cusolverDn.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "backend.hpp"
#include "linalg_kernels.hpp"
#include "row_major_gemm.hpp"

namespace tessera::cuda {
namespace {

void check_solver(cusolverStatus_t status, const std::string& what) {
  if (status != CUSOLVER_STATUS_SUCCESS)
    throw std::runtime_error(what + ": cuSOLVER status " + std::to_string(int(status)));
}

// One cuSOLVER handle per GPU, made on first use and kept for the process: creating one costs
// far more than a small eigendecomposition. It runs on the default stream like everything else.
cusolverDnHandle_t solver(int device) {
  static std::mutex mutex;
  static std::map<int, cusolverDnHandle_t> handles;
  std::lock_guard<std::mutex> lock(mutex);
  cusolverDnHandle_t& h = handles[device];
  if (!h)
    check_solver(cusolverDnCreate(&h),
                 "creating the cuSOLVER handle of cuda:" + std::to_string(device));
  return h;
}

template <typename T>
T* as(const Tensor& bytes) {
  return static_cast<T*>(bytes.raw());
}

template <typename T>
void copy_to_host(const Tensor& from, T* to, std::size_t count, const std::string& what) {
  check(cudaMemcpy(to, from.raw(), count * sizeof(T), cudaMemcpyDeviceToHost), what);
}

Tensor doubles_on_device(const std::vector<double>& values, int device) {
  const Tensor t = device_bytes(values.size() * sizeof(double), device);
  check(cudaMemcpy(t.raw(), values.data(), values.size() * sizeof(double), cudaMemcpyHostToDevice),
        "divide_outer: copying eigenvalues to cuda:" + std::to_string(device));
  return t;
}

}  // namespace

Tensor CudaBackend::matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  use_device(device_);
  const int64_t m = transpose_a ? a.dim(1) : a.dim(0), k = transpose_a ? a.dim(0) : a.dim(1);
  const int64_t n = transpose_b ? b.dim(0) : b.dim(1);
  const Tensor c(Layout::plain({m, n}), Device::cuda(device_));
  row_major_gemm(cublas(),
                 {.transpose_a = transpose_a, .transpose_b = transpose_b, .m = m, .n = n, .k = k},
                 floats(a), floats(b), floats(c));
  return c;
}

// As the CPU: dsyevd on the upper triangle of the column-major reading of a (the same matrix
// when a is symmetric); LAPACK's column k is eigenvector k, which becomes column k of the
// row-major result.
SymmetricEigen CudaBackend::symmetric_eigen(const Tensor& a) {
  use_device(device_);
  const int n = static_cast<int>(a.dim(0));
  const std::string what = "symmetric_eigen of a " + std::to_string(n) + "x" + std::to_string(n) +
                           " matrix on cuda:" + std::to_string(device_);
  SymmetricEigen e{Tensor(Layout::plain({n, n}), Device::cuda(device_)),
                   std::vector<float>(static_cast<std::size_t>(n))};
  if (n == 0) return e;
  const std::size_t nn = std::size_t(n) * std::size_t(n);
  const Tensor m = device_bytes(nn * sizeof(double), device_);
  const Tensor w = device_bytes(std::size_t(n) * sizeof(double), device_);
  const Tensor info = device_bytes(sizeof(int), device_);
  launch_float_to_double(floats(a), as<double>(m), a.numel());

  cusolverDnHandle_t h = solver(device_);
  int lwork = 0;
  check_solver(cusolverDnDsyevd_bufferSize(h, CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_UPPER, n,
                                           as<double>(m), n, as<double>(w), &lwork),
               what);
  const Tensor work = device_bytes(std::size_t(lwork > 0 ? lwork : 1) * sizeof(double), device_);
  check_solver(
      cusolverDnDsyevd(h, CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_UPPER, n, as<double>(m), n,
                       as<double>(w), as<double>(work), lwork, as<int>(info)),
      what);
  int status = 0;
  copy_to_host(info, &status, 1, what);
  if (status != 0)
    throw std::runtime_error("symmetric_eigen: cuSOLVER dsyevd failed (info " +
                             std::to_string(status) + ") on a " + std::to_string(n) + "x" +
                             std::to_string(n) + " matrix; does it hold NaN?");
  std::vector<double> values(static_cast<std::size_t>(n));
  copy_to_host(w, values.data(), values.size(), what);
  for (std::size_t i = 0; i < values.size(); ++i) e.values[i] = static_cast<float>(values[i]);
  launch_transpose_to_float(as<double>(m), floats(e.vectors), n);
  return e;
}

double CudaBackend::dot(const Tensor& a, const Tensor& b) {
  use_device(device_);
  const Tensor sums = device_bytes((kDotPartials + 1) * sizeof(double), device_);
  launch_dot(floats(a), floats(b), a.numel(), as<double>(sums), as<double>(sums) + kDotPartials);
  double result = 0;
  check(
      cudaMemcpy(&result, as<double>(sums) + kDotPartials, sizeof(double), cudaMemcpyDeviceToHost),
      "dot on cuda:" + std::to_string(device_));
  return result;
}

Tensor CudaBackend::divide_outer(const Tensor& m, const std::vector<double>& rows,
                                 const std::vector<double>& cols) {
  use_device(device_);
  const Tensor out(Layout::plain(m.shape()), Device::cuda(device_));
  if (m.numel() == 0) return out;
  const Tensor r = doubles_on_device(rows, device_), c = doubles_on_device(cols, device_);
  launch_divide_outer(floats(m), as<double>(r), as<double>(c), floats(out), m.dim(0), m.dim(1));
  return out;
}

}  // namespace tessera::cuda
