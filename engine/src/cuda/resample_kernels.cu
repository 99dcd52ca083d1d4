// Nearest and linear upsampling with oneDNN's conventions (the CPU backend's): output cell o of
// an axis of `in` -> `out` cells samples input coordinate (o + 0.5) * in / out - 0.5 (half-pixel
// centres), linear interpolation clamps its two taps to the axis, and nearest takes o / factor.
// Backward runs one thread per input cell and gathers from the outputs that sampled it, so it
// needs no atomics and is deterministic.
#include "launch.cuh"
#include "resample_kernels.hpp"

namespace tessera::cuda {
namespace {

// The two input cells output `o` interpolates between, and their weights.
struct Taps {
  int64_t index[2];
  float weight[2];
};

__device__ int64_t clamp_index(int64_t i, int64_t n) {
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

__device__ Taps linear_taps(int64_t o, int64_t in, int64_t out) {
  // The float expression of oneDNN's coordinate map, so both backends round alike.
  const float s = ((float)o + 0.5f) * (float)in / (float)out - 0.5f;
  const float left = floorf(s);
  const int64_t i = (int64_t)left;
  const float right_weight = s - left;
  return {{clamp_index(i, in), clamp_index(i + 1, in)}, {1.f - right_weight, right_weight}};
}

// How much output `o` takes from input `i` along one axis.
__device__ float linear_weight(int64_t o, int64_t i, int64_t in, int64_t out) {
  const Taps t = linear_taps(o, in, out);
  return (t.index[0] == i ? t.weight[0] : 0.f) + (t.index[1] == i ? t.weight[1] : 0.f);
}

__global__ void nearest_forward_kernel(ResampleGeometry g, const float* x, float* y) {
  const int64_t total = g.planes * volume(g.out);
  TESSERA_GRID_STRIDE(t, total) {
    int64_t o[3];
    const int64_t plane = split_index(t, g.out, o);
    int64_t i[3];
    for (int k = 0; k < 3; ++k) i[k] = o[k] / (g.out[k] / g.in[k]);
    y[t] = x[plane * volume(g.in) + (i[0] * g.in[1] + i[1]) * g.in[2] + i[2]];
  }
}

__global__ void linear_forward_kernel(ResampleGeometry g, const float* x, float* y) {
  const int64_t total = g.planes * volume(g.out);
  TESSERA_GRID_STRIDE(t, total) {
    int64_t o[3];
    const int64_t plane = split_index(t, g.out, o);
    const float* xp = x + plane * volume(g.in);
    const Taps d = linear_taps(o[0], g.in[0], g.out[0]), h = linear_taps(o[1], g.in[1], g.out[1]),
               w = linear_taps(o[2], g.in[2], g.out[2]);
    float sum = 0.f;
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b)
        for (int c = 0; c < 2; ++c)
          sum += xp[(d.index[a] * g.in[1] + h.index[b]) * g.in[2] + w.index[c]] * d.weight[a] *
                 h.weight[b] * w.weight[c];
    y[t] = sum;
  }
}

__global__ void nearest_backward_kernel(ResampleGeometry g, const float* dy, float* dx) {
  const int64_t total = g.planes * volume(g.in);
  TESSERA_GRID_STRIDE(t, total) {
    int64_t i[3], f[3];
    const int64_t plane = split_index(t, g.in, i);
    for (int k = 0; k < 3; ++k) f[k] = g.out[k] / g.in[k];
    const float* dyp = dy + plane * volume(g.out);
    float sum = 0.f;
    for (int64_t od = i[0] * f[0]; od < (i[0] + 1) * f[0]; ++od)
      for (int64_t oh = i[1] * f[1]; oh < (i[1] + 1) * f[1]; ++oh)
        for (int64_t ow = i[2] * f[2]; ow < (i[2] + 1) * f[2]; ++ow)
          sum += dyp[(od * g.out[1] + oh) * g.out[2] + ow];
    dx[t] = sum;
  }
}

// The outputs along one axis that can sample input `i`: their coordinate lies in (i - 1, i + 1),
// or beyond the axis's end when i is its first or last cell.
__device__ void sampling_outputs(int64_t i, int64_t in, int64_t out, int64_t* lo, int64_t* hi) {
  const int64_t f = out / in;
  *lo = max((i - 1) * f, int64_t(0));
  *hi = min((i + 2) * f + 1, out);
}

__global__ void linear_backward_kernel(ResampleGeometry g, const float* dy, float* dx) {
  const int64_t total = g.planes * volume(g.in);
  TESSERA_GRID_STRIDE(t, total) {
    int64_t i[3], lo[3], hi[3];
    const int64_t plane = split_index(t, g.in, i);
    for (int k = 0; k < 3; ++k) sampling_outputs(i[k], g.in[k], g.out[k], &lo[k], &hi[k]);
    const float* dyp = dy + plane * volume(g.out);
    float sum = 0.f;
    for (int64_t od = lo[0]; od < hi[0]; ++od) {
      const float wd = linear_weight(od, i[0], g.in[0], g.out[0]);
      if (wd == 0.f) continue;
      for (int64_t oh = lo[1]; oh < hi[1]; ++oh) {
        const float wh = linear_weight(oh, i[1], g.in[1], g.out[1]);
        if (wh == 0.f) continue;
        for (int64_t ow = lo[2]; ow < hi[2]; ++ow) {
          const float ww = linear_weight(ow, i[2], g.in[2], g.out[2]);
          sum += dyp[(od * g.out[1] + oh) * g.out[2] + ow] * wd * wh * ww;
        }
      }
    }
    dx[t] = sum;
  }
}

}  // namespace

void launch_upsample_forward(ResampleMode mode, const ResampleGeometry& g, const float* x,
                             float* y) {
  const int64_t n = g.planes * volume(g.out);
  if (mode == ResampleMode::nearest)
    nearest_forward_kernel<<<blocks_for(n), kThreads>>>(g, x, y);
  else
    linear_forward_kernel<<<blocks_for(n), kThreads>>>(g, x, y);
  check_launch("upsample_forward");
}

void launch_upsample_backward(ResampleMode mode, const ResampleGeometry& g, const float* dy,
                              float* dx) {
  const int64_t n = g.planes * volume(g.in);
  if (mode == ResampleMode::nearest)
    nearest_backward_kernel<<<blocks_for(n), kThreads>>>(g, dy, dx);
  else
    linear_backward_kernel<<<blocks_for(n), kThreads>>>(g, dy, dx);
  check_launch("upsample_backward");
}

}  // namespace tessera::cuda
