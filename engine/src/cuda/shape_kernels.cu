// The strided box copy behind the GPU's shape ops: one thread per element of the box, which
// turns its flat row-major box index into a source and a destination offset.
#include <stdexcept>
#include <string>

#include "launch.cuh"
#include "shape_kernels.hpp"

namespace tessera::cuda {
namespace {

// Passed to the kernel by value, so no device copy of the dims is needed.
struct StridedBox {
  int rank;
  int64_t shape[kMaxBoxRank];
  int64_t src_strides[kMaxBoxRank];
  int64_t dst_strides[kMaxBoxRank];
};

__global__ void strided_copy_kernel(const float* src, float* dst, StridedBox box, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) {
    int64_t rest = i, from = 0, to = 0;
    for (int d = box.rank - 1; d >= 0; --d) {
      const int64_t at = rest % box.shape[d];
      rest /= box.shape[d];
      from += at * box.src_strides[d];
      to += at * box.dst_strides[d];
    }
    dst[to] = src[from];
  }
}

}  // namespace

void launch_strided_copy(const float* src, float* dst, int rank, const int64_t* shape,
                         const int64_t* src_strides, const int64_t* dst_strides) {
  if (rank < 1 || rank > kMaxBoxRank)
    throw std::invalid_argument("strided copy: rank " + std::to_string(rank) + " is outside 1 to " +
                                std::to_string(kMaxBoxRank));
  StridedBox box{};
  box.rank = rank;
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) {
    box.shape[d] = shape[d];
    box.src_strides[d] = src_strides[d];
    box.dst_strides[d] = dst_strides[d];
    n *= shape[d];
  }
  if (n == 0) return;
  strided_copy_kernel<<<blocks_for(n), kThreads>>>(src, dst, box, n);
  check_launch("strided_copy");
}

}  // namespace tessera::cuda
