#pragma once
// What the gpu-labelled tests share: the skip without a GPU, and the comparison of a GPU result
// with the CPU op's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tessera/info.hpp"
#include "tessera/tensor/tensor.hpp"

namespace tessera::testing {

inline const Device kGpu = Device::cuda(0);

// Largest |gpu - cpu| over the largest |cpu| (or 1e-30): one relative error for a whole tensor;
// infinite where either holds a NaN (memory a kernel never wrote often reads as one).
inline double relative_error(const Tensor& gpu, const Tensor& cpu) {
  const std::vector<float> g = gpu.to_vector(), c = cpu.to_vector();
  EXPECT_EQ(g.size(), c.size());
  double diff = 0, scale = 1e-30;
  for (std::size_t i = 0; i < std::min(g.size(), c.size()); ++i) {
    if (std::isnan(g[i]) || std::isnan(c[i])) return INFINITY;
    diff = std::max(diff, std::abs(double(g[i]) - double(c[i])));
    scale = std::max(scale, std::abs(double(c[i])));
  }
  return diff / scale;
}

}  // namespace tessera::testing

// Skips the test, in one line, where no GPU can be used (no CUDA build, no device, old driver).
#define REQUIRE_GPU()                 \
  if (::tessera::cuda_devices() == 0) \
  GTEST_SKIP() << "no usable GPU: CUDA " << ::tessera::cuda_summary()

// A GPU result against the CPU op's, within `rel` of the CPU result's largest magnitude; a
// "GPU result" that is on the CPU fails.
#define EXPECT_GPU_NEAR(gpu, cpu, rel)                                                        \
  EXPECT_LE(                                                                                  \
      (gpu).device().is_host() ? INFINITY : ::tessera::testing::relative_error((gpu), (cpu)), \
      (rel))                                                                                  \
      << #gpu " against " #cpu << ((gpu).device().is_host() ? " (on the CPU)" : "")
