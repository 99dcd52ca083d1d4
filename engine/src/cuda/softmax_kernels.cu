// Softmax along one axis, one thread per line along it (neighbouring threads take neighbouring
// lines, so reads coalesce unless the axis is the innermost). Formulas as oneDNN's:
// y = exp(x - max) / sum, dx = y * (dy - sum(dy * y)).
#include "launch.cuh"
#include "softmax_kernels.hpp"

namespace tessera::cuda {
namespace {

__global__ void forward_kernel(const float* x, float* y, int64_t outer, int64_t length,
                               int64_t inner) {
  TESSERA_GRID_STRIDE(line, outer * inner) {
    const int64_t first = (line / inner) * length * inner + line % inner;
    float peak = x[first];
    for (int64_t k = 1; k < length; ++k) peak = fmaxf(peak, x[first + k * inner]);
    float sum = 0.f;
    for (int64_t k = 0; k < length; ++k) {
      const float e = expf(x[first + k * inner] - peak);
      y[first + k * inner] = e;
      sum += e;
    }
    const float inverse = 1.f / sum;
    for (int64_t k = 0; k < length; ++k) y[first + k * inner] *= inverse;
  }
}

__global__ void backward_kernel(const float* y, const float* dy, float* dx, int64_t outer,
                                int64_t length, int64_t inner) {
  TESSERA_GRID_STRIDE(line, outer * inner) {
    const int64_t first = (line / inner) * length * inner + line % inner;
    float projection = 0.f;
    for (int64_t k = 0; k < length; ++k) projection += dy[first + k * inner] * y[first + k * inner];
    for (int64_t k = 0; k < length; ++k) {
      const int64_t at = first + k * inner;
      dx[at] = y[at] * (dy[at] - projection);
    }
  }
}

}  // namespace

void launch_softmax_forward(const float* x, float* y, int64_t outer, int64_t length,
                            int64_t inner) {
  if (outer * length * inner == 0) return;  // no line to read a first element from
  forward_kernel<<<blocks_for(outer * inner), kThreads>>>(x, y, outer, length, inner);
  check_launch("softmax_forward");
}

void launch_softmax_backward(const float* y, const float* dy, float* dx, int64_t outer,
                             int64_t length, int64_t inner) {
  if (outer * length * inner == 0) return;
  backward_kernel<<<blocks_for(outer * inner), kThreads>>>(y, dy, dx, outer, length, inner);
  check_launch("softmax_backward");
}

}  // namespace tessera::cuda
