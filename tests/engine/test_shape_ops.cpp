#include <functional>

#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/ops/shape_ops.hpp"

namespace tessera {
namespace {

using testing::blocked8;
using testing::dot;
using testing::expect_gradient_close;
using testing::random_tensor;

void expect_equal(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.to_vector(), b.to_vector());
}

// Row-major offset of a full-rank index.
int64_t flat(const Shape& shape, const Shape& idx) {
  int64_t f = 0;
  for (size_t d = 0; d < shape.size(); ++d) f = f * shape[d] + idx[d];
  return f;
}

// Calls `fn(idx)` for every index of `shape`, in row-major order.
void for_each_index(const Shape& shape, const std::function<void(const Shape&)>& fn) {
  Shape idx(shape.size(), 0);
  for (int64_t i = 0; i < product(shape); ++i) {
    fn(idx);
    for (int d = int(shape.size()) - 1; d >= 0 && ++idx[d] == shape[d]; --d) idx[d] = 0;
  }
}

// Each element of the concatenation is the matching element of the input it came from.
void check_concat_placement(const std::vector<Tensor>& xs, int axis) {
  const Tensor y = concat(xs, axis);
  if (axis < 0) axis += y.ndim();
  const auto yv = y.to_vector();
  int64_t start = 0;
  for (const Tensor& x : xs) {
    const Tensor xp = x.to_plain();
    for_each_index(x.shape(), [&](const Shape& idx) {
      Shape at = idx;
      at[axis] += start;
      ASSERT_EQ(yv[flat(y.shape(), at)], xp.data()[flat(x.shape(), idx)]);
    });
    start += x.dim(axis);
  }
  EXPECT_EQ(start, y.dim(axis));
}

TEST(ShapeOps, ConcatPlacement) {
  check_concat_placement({random_tensor({2, 3, 4, 5}, 1), random_tensor({2, 2, 4, 5}, 2)}, 1);
  check_concat_placement({random_tensor({2, 3, 4, 5}, 1), random_tensor({2, 3, 2, 5}, 2),
                          random_tensor({2, 3, 1, 5}, 3)},
                         2);
  check_concat_placement({random_tensor({2, 3, 4, 5, 3}, 1), random_tensor({2, 3, 4, 5, 2}, 2)},
                         -1);
}

TEST(ShapeOps, CropPlacement) {
  const Tensor x = random_tensor({2, 5, 6, 7}, 1);
  const Shape off{1, 1, 2, 3}, shape{1, 3, 3, 4};
  const Tensor c = crop(x, off, shape);
  ASSERT_EQ(c.shape(), shape);
  const auto cv = c.to_vector();
  for_each_index(shape, [&](const Shape& idx) {
    Shape at = idx;
    for (size_t d = 0; d < at.size(); ++d) at[d] += off[d];
    ASSERT_EQ(cv[flat(shape, idx)], x.data()[flat(x.shape(), at)]);
  });
  // crop_backward puts dy back in place and zeros elsewhere.
  const auto dx = crop_backward(c, x.shape(), off).to_vector();
  for_each_index(x.shape(), [&](const Shape& idx) {
    bool inside = true;
    for (size_t d = 0; d < idx.size(); ++d)
      inside = inside && idx[d] >= off[d] && idx[d] < off[d] + shape[d];
    ASSERT_EQ(dx[flat(x.shape(), idx)], inside ? x.data()[flat(x.shape(), idx)] : 0.f);
  });
}

void check_concat_gradients(const Shape& s0, const Shape& s1, int axis) {
  Tensor x0 = random_tensor(s0, 1), x1 = random_tensor(s1, 2);
  const Tensor r = random_tensor(concat({x0, x1}, axis).shape(), 3);
  const auto dxs = concat_backward(r, {s0[axis], s1[axis]}, axis);
  ASSERT_EQ(dxs.size(), 2u);
  auto f = [&] { return dot(r, concat({x0, x1}, axis)); };
  expect_gradient_close("concat dx0", x0, dxs[0], f);
  expect_gradient_close("concat dx1", x1, dxs[1], f);
}

void check_crop_gradient(const Shape& x_shape, const Shape& off, const Shape& shape) {
  Tensor x = random_tensor(x_shape, 4);
  const Tensor r = random_tensor(shape, 5);
  expect_gradient_close("crop dx", x, crop_backward(r, x_shape, off),
                        [&] { return dot(r, crop(x, off, shape)); });
}

TEST(ShapeOps, ConcatGradient2D) {
  check_concat_gradients({2, 3, 4, 5}, {2, 2, 4, 5}, 1);
  check_concat_gradients({2, 3, 4, 5}, {2, 3, 4, 2}, 3);
}

TEST(ShapeOps, ConcatGradient3D) {
  check_concat_gradients({2, 3, 4, 3, 4}, {2, 4, 4, 3, 4}, 1);
  check_concat_gradients({2, 3, 2, 3, 4}, {2, 3, 3, 3, 4}, 2);
}

TEST(ShapeOps, CropGradient2D) {
  check_crop_gradient({2, 4, 6, 7}, {0, 1, 1, 2}, {2, 3, 4, 4});
}
TEST(ShapeOps, CropGradient3D) {
  check_crop_gradient({2, 3, 5, 6, 5}, {1, 0, 1, 2, 0}, {1, 3, 3, 3, 4});
}

// Blocked inputs give the plain results, whether or not the cut falls on a block boundary.
void check_blocked(const Shape& shape) {
  const Tensor a = random_tensor(shape, 6);
  Shape s3 = shape;
  s3[1] = 3;
  const Tensor b = random_tensor(shape, 7), c = random_tensor(s3, 8);
  const Tensor ab = blocked8(a), bb = blocked8(b), cb = blocked8(c);
  const Tensor y = concat({ab, bb}, 1);
  EXPECT_FALSE(y.is_plain()) << "two block-aligned inputs should stay blocked";
  expect_equal(y, concat({a, b}, 1));
  expect_equal(concat({ab, cb, bb}, 1), concat({a, c, b}, 1));  // padded middle block
  expect_equal(concat({ab, b}, 2), concat({a, b}, 2));          // mixed layouts, spatial axis
  // concat_backward: aligned cut (8 | 8), unaligned (3 | 13), spatial.
  const Tensor dy = concat({a, b}, 1), dyb = blocked8(dy);
  for (const std::vector<int64_t>& sizes : {std::vector<int64_t>{8, 8}, {3, 13}, {1, 7, 8}}) {
    const auto ref = concat_backward(dy, sizes, 1), blk = concat_backward(dyb, sizes, 1);
    ASSERT_EQ(blk.size(), sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i) expect_equal(blk[i], ref[i]);
  }
  EXPECT_FALSE(concat_backward(dyb, {8, 8}, 1)[0].is_plain());
  // crop / crop_backward at aligned and unaligned channel offsets.
  Shape box = shape, off(shape.size(), 0);
  box[1] = 8, box[2] = shape[2] - 1, off[2] = 1;
  for (int64_t c0 : {0, 8, 3}) {
    off[1] = c0;
    expect_equal(crop(dyb, off, box), crop(dy, off, box));
    const Tensor g = random_tensor(box, 9);
    expect_equal(crop_backward(blocked8(g), dy.shape(), off), crop_backward(g, dy.shape(), off));
  }
}

TEST(ShapeOps, BlockedInput2D) {
  check_blocked({2, 8, 4, 5});
}
TEST(ShapeOps, BlockedInput3D) {
  check_blocked({2, 8, 3, 4, 3});
}

TEST(ShapeOps, RejectsBadArguments) {
  const Tensor a = Tensor::zeros({2, 3, 4, 4}), b = Tensor::zeros({2, 3, 5, 4});
  EXPECT_THROW(concat({a, b}, 1), std::invalid_argument);
  EXPECT_THROW(concat({a, a}, 4), std::invalid_argument);
  EXPECT_THROW(concat({}, 1), std::invalid_argument);
  EXPECT_THROW(concat_backward(a, {1, 1}, 1), std::invalid_argument);
  EXPECT_THROW(crop(a, {0, 0, 1, 1}, {2, 3, 4, 3}), std::invalid_argument);
  EXPECT_THROW(crop(a, {0, 0, 0}, {2, 3, 4}), std::invalid_argument);
  EXPECT_THROW(crop_backward(b, {2, 3, 4, 4}, {0, 0, 0, 0}), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
