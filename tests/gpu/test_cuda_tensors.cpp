// The CUDA backend against the CPU (labelled gpu). Without a usable GPU each test that needs one
// skips with one line saying why, and the test that a GPU tensor is refused with a clear message
// runs instead.
#include <gtest/gtest.h>

#include <vector>

#include "error_of.hpp"
#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "tessera/info.hpp"
#include "tessera/ops/conv.hpp"
#include "tessera/tensor/tensor.hpp"

using namespace tessera;
using tessera::testing::blocked8;
using tessera::testing::error_of;

using tessera::testing::kGpu;

TEST(CudaTensor, RoundTripIsExact) {
  REQUIRE_GPU();
  const Tensor x = tessera::testing::random_tensor({2, 3, 5, 7}, 1);
  const Tensor g = x.to(kGpu);
  EXPECT_EQ(g.device(), kGpu);
  EXPECT_NE(g.raw(), x.raw());
  EXPECT_EQ(g.to(Device::cpu()).to_vector(), x.to_vector());
  // A blocked host tensor arrives plain and comes back with the same values.
  const Tensor b = blocked8(x);
  const Tensor gb = b.to(kGpu);
  EXPECT_EQ(gb.to_vector(), x.to_vector());
  EXPECT_EQ(gb.clone().to_vector(), x.to_vector());  // a copy within the GPU
}

TEST(CudaTensor, FillAndZero) {
  REQUIRE_GPU();
  EXPECT_EQ(Tensor::full({3, 5, 7}, 2.5f, kGpu).to_vector(), std::vector<float>(105, 2.5f));
  EXPECT_EQ(Tensor::zeros({4, 9}, kGpu).to_vector(), std::vector<float>(36, 0.f));
}

TEST(CudaMemory, CountedPerDeviceAndReturned) {
  REQUIRE_GPU();
  const std::size_t host = memory_stats().current_bytes;
  const std::size_t before = memory_stats(kGpu).current_bytes;
  {
    const Tensor g = Tensor::zeros({256, 256}, kGpu);
    EXPECT_EQ(memory_stats(kGpu).current_bytes, before + g.bytes());
    EXPECT_EQ(memory_stats().current_bytes, host);
  }
  EXPECT_EQ(memory_stats(kGpu).current_bytes, before);
  release_cached_memory(kGpu);
  // A freed block, cached or returned to the driver, serves the next tensor of its size.
  EXPECT_EQ(Tensor::full({256, 256}, 1.f, kGpu).to_vector(), std::vector<float>(65536, 1.f));
}

TEST(CudaDevice, WithoutAGpuATensorIsRefusedInOneLine) {
  if (cuda_devices() > 0) GTEST_SKIP() << "this machine has a GPU";
  const std::string e = error_of([] { Tensor::zeros({2, 2}).to(kGpu); });
  EXPECT_HAS(e, "cuda:0");
  EXPECT_EQ(e.find('\n'), std::string::npos);
  if (cuda_built())
    EXPECT_HAS(e, "this machine has no usable GPU");
  else
    EXPECT_HAS(e, "CPU only");
}
