// Shape ops on the GPU (concat, crop, permute, space_to_depth and their inverses) against the
// CPU (labelled gpu). They only move floats, so the results must be bitwise equal.
#include <gtest/gtest.h>

#include <vector>

#include "gpu/gpu_test.hpp"
#include "gradcheck.hpp"
#include "tessera/ops/shape_ops.hpp"
#include "tessera/ops/space_to_depth.hpp"

using namespace tessera;
using tessera::testing::kGpu;
using tessera::testing::random_tensor;

namespace {

void expect_same(const Tensor& gpu, const Tensor& cpu) {
  ASSERT_EQ(gpu.device(), kGpu);
  ASSERT_EQ(gpu.shape(), cpu.shape());
  EXPECT_EQ(gpu.to_vector(), cpu.to_vector());
}

std::vector<Tensor> to_gpu(const std::vector<Tensor>& xs) {
  std::vector<Tensor> out;
  for (const Tensor& x : xs) out.push_back(x.to(kGpu));
  return out;
}

// Inputs equal to `shape` but for `sizes` along `axis`, concatenated forward and backward.
void check_concat(const Shape& shape, int axis, const std::vector<int64_t>& sizes) {
  std::vector<Tensor> xs;
  int64_t total = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    Shape s = shape;
    s[size_t(axis)] = sizes[i];
    total += sizes[i];
    xs.push_back(random_tensor(s, 10 + i));
  }
  SCOPED_TRACE("concat of " + to_string(shape) + " along " + std::to_string(axis));
  expect_same(concat(to_gpu(xs), axis), concat(xs, axis));
  Shape y_shape = shape;
  y_shape[size_t(axis)] = total;
  const Tensor dy = random_tensor(y_shape, 3);
  const auto gdx = concat_backward(dy.to(kGpu), sizes, axis), dx = concat_backward(dy, sizes, axis);
  ASSERT_EQ(gdx.size(), dx.size());
  for (std::size_t i = 0; i < dx.size(); ++i) expect_same(gdx[i], dx[i]);
}

void check_crop(const Shape& x_shape, const Shape& offsets, const Shape& shape) {
  SCOPED_TRACE("crop " + to_string(shape) + " at " + to_string(offsets) + " of " +
               to_string(x_shape));
  const Tensor x = random_tensor(x_shape, 4);
  expect_same(crop(x.to(kGpu), offsets, shape), crop(x, offsets, shape));
  const Tensor dy = random_tensor(shape, 5);
  expect_same(crop_backward(dy.to(kGpu), x_shape, offsets), crop_backward(dy, x_shape, offsets));
}

void check_permute(const Shape& shape, const std::vector<int>& order) {
  SCOPED_TRACE("permute of " + to_string(shape));
  const Tensor x = random_tensor(shape, 6);
  expect_same(permute(x.to(kGpu), order), permute(x, order));
}

void check_space_to_depth(const Shape& shape, int64_t factor) {
  SCOPED_TRACE("space_to_depth of " + to_string(shape) + " by " + std::to_string(factor));
  const Tensor x = random_tensor(shape, 7);
  const Tensor gy = space_to_depth(x.to(kGpu), factor), y = space_to_depth(x, factor);
  expect_same(gy, y);
  expect_same(depth_to_space(gy, factor), depth_to_space(y, factor));
  expect_same(depth_to_space(gy, factor), x);
}

}  // namespace

TEST(CudaShapeOps, ConcatMatchesTheCpu) {
  REQUIRE_GPU();
  check_concat({7, 5}, 0, {7, 1, 4});
  check_concat({7, 5}, 1, {5, 3});
  check_concat({2, 3, 9}, 1, {3, 1, 8});
  check_concat({2, 3, 4, 5}, 1, {3, 8, 12});
  check_concat({2, 3, 4, 5}, 2, {4, 1, 3});
  check_concat({2, 3, 4, 5}, 3, {5, 7});
  check_concat({2, 3, 3, 4, 5}, 0, {2, 1});
  check_concat({2, 3, 3, 4, 5}, 2, {3, 2});
  check_concat({2, 3, 3, 4, 5}, 4, {5, 1, 2});
}

TEST(CudaShapeOps, CropMatchesTheCpu) {
  REQUIRE_GPU();
  check_crop({9, 7}, {2, 1}, {5, 6});
  check_crop({2, 12, 9}, {1, 3, 0}, {1, 8, 9});
  check_crop({3, 3, 11, 13}, {0, 1, 2, 3}, {3, 1, 7, 9});
  check_crop({2, 8, 5, 6, 7}, {1, 2, 1, 0, 3}, {1, 3, 3, 6, 4});
  check_crop({2, 3, 5, 6, 7}, {0, 0, 0, 0, 0}, {2, 3, 5, 6, 7});
}

TEST(CudaShapeOps, PermuteMatchesTheCpu) {
  REQUIRE_GPU();
  check_permute({5, 7}, {1, 0});
  check_permute({2, 3, 7}, {2, 0, 1});
  check_permute({2, 3, 7}, {1, 2, 0});
  check_permute({2, 3, 5, 7}, {0, 2, 3, 1});
  check_permute({2, 3, 5, 7}, {3, 1, 0, 2});
  check_permute({2, 3, 4, 5, 3}, {4, 2, 0, 3, 1});
  check_permute({2, 3, 4, 5, 3}, {0, 1, 2, 3, 4});
}

TEST(CudaShapeOps, SpaceToDepthMatchesTheCpu) {
  REQUIRE_GPU();
  check_space_to_depth({2, 3, 12}, 2);
  check_space_to_depth({2, 1, 6, 4}, 2);
  check_space_to_depth({2, 3, 6, 9}, 3);
  check_space_to_depth({1, 8, 4, 6}, 2);
  check_space_to_depth({2, 12, 4, 2, 6}, 2);
  check_space_to_depth({1, 3, 6, 3, 9}, 3);
  check_space_to_depth({2, 3, 5, 7}, 1);
}
