#pragma once
// Helpers shared by the engine tests: finite-difference gradient checks, random tensors,
// blocked layouts and tolerance comparisons.
//
// For a scalar function f(x) we compare an analytic gradient g = df/dx against central
// differences (f(x+h e_i) - f(x-h e_i)) / 2h on a sample of coordinates. f is made scalar by a
// fixed random projection: f(x) = sum(r * op(x)), whose gradient w.r.t. op's output is r.
#include <cmath>
#include <functional>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "tessera/tensor/tensor.hpp"

namespace tessera::testing {

inline Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = u(rng);
  return t;
}

// sum(a * b) over all elements, in double; any layouts.
inline double dot(const Tensor& a, const Tensor& b) {
  Tensor pa = a.to_plain(), pb = b.to_plain();
  double s = 0;
  for (int64_t i = 0; i < pa.numel(); ++i) s += double(pa.data()[i]) * pb.data()[i];
  return s;
}

// The same tensor in the 8-channel blocked layout (nChw8c / nCdhw8c) convolutions produce on
// the CPU: ops must give the same results on it as on plain tensors.
inline Tensor blocked8(const Tensor& x) {
  return x.to_layout(Layout::channel_blocked(x.shape(), 8));
}

// Element-wise |a - b| <= tol, any layouts.
inline void expect_close(const Tensor& a, const Tensor& b, float tol = 1e-6f) {
  ASSERT_EQ(a.shape(), b.shape());
  const auto va = a.to_vector(), vb = b.to_vector();
  for (size_t i = 0; i < va.size(); ++i) ASSERT_NEAR(va[i], vb[i], tol) << "element " << i;
}

// Checks `analytic` (gradient of scalar `f` at `x`) against central differences.
// `f` must read x's current values. Coordinates checked: all if numel <= max_checks, else a
// seeded sample. Tolerance is mixed: |num - ana| <= atol + rtol * max(|num|, |ana|).
inline void expect_gradient_close(const std::string& what, Tensor& x, const Tensor& analytic,
                                  const std::function<double()>& f, double h = 1e-2,
                                  double atol = 2e-3, double rtol = 2e-2, int max_checks = 40) {
  ASSERT_TRUE(x.is_plain());
  Tensor ana = analytic.to_plain();
  ASSERT_EQ(ana.shape(), x.shape()) << what;
  std::mt19937_64 rng(1234);
  const int64_t n = x.numel();
  const int checks = static_cast<int>(std::min<int64_t>(n, max_checks));
  for (int k = 0; k < checks; ++k) {
    const int64_t i = n <= max_checks ? k : static_cast<int64_t>(rng() % n);
    const float saved = x.data()[i];
    x.data()[i] = saved + float(h);
    const double fp = f();
    x.data()[i] = saved - float(h);
    const double fm = f();
    x.data()[i] = saved;
    const double num = (fp - fm) / (2 * h);
    const double a = ana.data()[i];
    EXPECT_NEAR(num, a, atol + rtol * std::max(std::abs(num), std::abs(a)))
        << what << ": element " << i << " of " << to_string(x.shape());
  }
}

}  // namespace tessera::testing
