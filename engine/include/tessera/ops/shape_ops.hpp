#pragma once
// Concatenation and cropping along any axis (channels or space), on oneDNN concat and reorders.
#include <vector>

#include "tessera/tensor/tensor.hpp"

namespace tessera {

// Tensors equal in every dimension but `axis` -> one tensor, in order.
Tensor concat(const std::vector<Tensor>& xs, int axis);
// dy of the concatenation -> one gradient per input, with sizes[i] along `axis`.
std::vector<Tensor> concat_backward(const Tensor& dy, const std::vector<int64_t>& sizes, int axis);

// x -> the box of `shape` starting at `offsets` (both full rank, N and C included).
Tensor crop(const Tensor& x, const Shape& offsets, const Shape& shape);
// x -> y with y.dim(i) = x.dim(order[i]): axes reordered ([N,C,T] -> [T,N,C] with {2,0,1}).
Tensor permute(const Tensor& x, const std::vector<int>& order);

// dy of the crop -> zero tensor of `x_shape` with dy placed at `offsets`.
Tensor crop_backward(const Tensor& dy, const Shape& x_shape, const Shape& offsets);

}  // namespace tessera
