// Pointwise activations and their gradients, one thread per element. The formulas are oneDNN's
// (relu's slope applies at exactly zero too; ELU uses expm1) so GPU and CPU agree.
#include "activation_kernels.hpp"
#include "launch.cuh"

namespace tessera::cuda {
namespace {

__device__ float sigmoid(float x) {
  // Below -ln(FLT_MAX) exp(-x) overflows; oneDNN returns 0 there, so do we.
  return x < -88.72284f ? 0.f : 1.f / (1.f + expf(-x));
}

__device__ float activate(ActivationKind kind, float alpha, float x) {
  switch (kind) {
    case ActivationKind::relu:
      return x > 0.f ? x : x * alpha;
    case ActivationKind::elu:
      return x > 0.f ? x : alpha * expm1f(x);
    case ActivationKind::sigmoid:
      return sigmoid(x);
    case ActivationKind::tanh:
      return tanhf(x);
    case ActivationKind::identity:
      break;
  }
  return x;
}

// dy/dx at input x.
__device__ float slope_at_input(ActivationKind kind, float alpha, float x) {
  switch (kind) {
    case ActivationKind::relu:
      return x > 0.f ? 1.f : alpha;
    case ActivationKind::elu:
      return x > 0.f ? 1.f : alpha * expf(x);
    case ActivationKind::sigmoid: {
      const float y = sigmoid(x);
      return y * (1.f - y);
    }
    case ActivationKind::tanh: {
      const float y = tanhf(x);
      return 1.f - y * y;
    }
    case ActivationKind::identity:
      break;
  }
  return 1.f;
}

// dy/dx from the output y (valid where y determines x's side of zero: alpha >= 0).
__device__ float slope_at_output(ActivationKind kind, float alpha, float y) {
  switch (kind) {
    case ActivationKind::relu:
      return y > 0.f ? 1.f : alpha;
    case ActivationKind::elu:
      return y > 0.f ? 1.f : y + alpha;
    case ActivationKind::sigmoid:
      return y * (1.f - y);
    case ActivationKind::tanh:
      return 1.f - y * y;
    case ActivationKind::identity:
      break;
  }
  return 1.f;
}

__global__ void forward_kernel(ActivationKind kind, float alpha, const float* x, float* y,
                               int64_t n) {
  TESSERA_GRID_STRIDE(i, n) y[i] = activate(kind, alpha, x[i]);
}

__global__ void backward_kernel(ActivationKind kind, float alpha, bool from_output,
                                const float* from, const float* dy, float* dx, int64_t n) {
  TESSERA_GRID_STRIDE(i, n) {
    const float slope =
        from_output ? slope_at_output(kind, alpha, from[i]) : slope_at_input(kind, alpha, from[i]);
    dx[i] = dy[i] * slope;
  }
}

}  // namespace

void launch_activation_forward(ActivationKind kind, float alpha, const float* x, float* y,
                               int64_t n) {
  forward_kernel<<<blocks_for(n), kThreads>>>(kind, alpha, x, y, n);
  check_launch("activation_forward");
}

void launch_activation_backward(ActivationKind kind, float alpha, bool from_output,
                                const float* from, const float* dy, float* dx, int64_t n) {
  backward_kernel<<<blocks_for(n), kThreads>>>(kind, alpha, from_output, from, dy, dx, n);
  check_launch("activation_backward");
}

}  // namespace tessera::cuda
