// Tiled inference with the network on the GPU (labelled gpu): each chunk goes to the GPU and its
// final rows come back to the host, and the result is whole-input inference's on the GPU and on
// the CPU; a budget-chosen plan is measured in the GPU's memory.
#include <gtest/gtest.h>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "run_tiles.hpp"
#include "tessera/model/unet.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;
using tessera::testing::relative_error;
using tessera::testing::run_tiles;

namespace {

void expect_tiled_is_whole(const UNetOptions& o, const Shape& shape, const TileOptions& t) {
  auto cpu = make_unet(o), gpu = make_unet(o);
  move_to(*gpu, kGpu);
  const Tensor x = random_tensor(shape, 31);
  TileReport report;
  const Tensor tiled = run_tiles(*gpu, x, t, &report);
  EXPECT_TRUE(tiled.device().is_host());
  EXPECT_GT(report.plan.tiles, 1) << "the test should cut the input";
  EXPECT_GT(report.peak_bytes, 0u) << "the GPU's memory is counted";
  const Tensor whole_gpu = run_whole(*gpu, x), whole_cpu = run_whole(*cpu, x);
  EXPECT_TRUE(whole_gpu.device().is_host()) << "run_whole returns where its input was";
  EXPECT_LE(relative_error(tiled, whole_gpu), 1e-5);
  EXPECT_LE(relative_error(tiled, whole_cpu), 1e-4);
}

}  // namespace

TEST(CudaTiling, TiledIsWholeIn3D) {
  REQUIRE_GPU();
  expect_tiled_is_whole({.dims = 3, .channels = {4, 8}, .seed = 21}, {1, 1, 20, 28, 28},
                        {.tile = {4, 12, 12}});
}

TEST(CudaTiling, BudgetPlanOnTheGpuIsWhole) {
  REQUIRE_GPU();
  expect_tiled_is_whole({.dims = 2, .in_channels = 3, .channels = {8, 16}, .seed = 22},
                        {1, 3, 96, 120}, {.max_memory = std::size_t(1) << 20});
}
