#pragma once
// Launcher of the strided box copy (shape_kernels.cu) that every shape op on the GPU reduces to:
// concat and its backward, crop and its backward, permute, space_to_depth and depth_to_space
// all move an N-d box of floats between two strided views of plain buffers.
#include <cstdint>

namespace tessera::cuda {

// The most axes a box may have: space_to_depth of a 3D volume views it as [N,C,f,f,f,D,H,W].
constexpr int kMaxBoxRank = 8;

// dst[box index . dst_strides] = src[box index . src_strides] for every index of the box of
// `rank` dims `shape`; src and dst already point at the box's first element. The three arrays
// are in host memory and hold `rank` (1 to kMaxBoxRank) values each, strides in elements.
void launch_strided_copy(const float* src, float* dst, int rank, const int64_t* shape,
                         const int64_t* src_strides, const int64_t* dst_strides);

}  // namespace tessera::cuda
