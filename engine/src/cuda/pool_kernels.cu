// Max and average pooling, one thread per output cell forward and one per input cell backward:
// backward gathers from the windows that cover its cell instead of scattering with atomics, so
// it is deterministic and sums in the same order as oneDNN's reference (ascending outputs).
#include "launch.cuh"
#include "pool_kernels.hpp"

namespace tessera::cuda {
namespace {

// Half-open range [lo, hi).
struct Range {
  int64_t lo, hi;
};

// The input cells along `dim` that output `o`'s window covers, padding cut off.
__device__ Range window_cells(const PoolGeometry& g, int dim, int64_t o) {
  const int64_t first = o * g.stride[dim] - g.padding[dim];
  return {max(first, int64_t(0)), min(first + g.kernel[dim], g.in[dim])};
}

// The outputs along `dim` whose windows cover input cell `i`.
__device__ Range covering_outputs(const PoolGeometry& g, int dim, int64_t i) {
  const int64_t s = g.stride[dim];
  const int64_t after_first = i + g.padding[dim] - g.kernel[dim] + 1;  // o*s must reach this
  const int64_t lo = after_first <= 0 ? 0 : (after_first + s - 1) / s;
  const int64_t hi = min((i + g.padding[dim]) / s + 1, g.out[dim]);
  return {lo, hi};
}

__global__ void max_forward_kernel(PoolGeometry g, const float* x, float* y, int32_t* argmax) {
  const int64_t total = g.planes * volume(g.out);
  TESSERA_GRID_STRIDE(t, total) {
    int64_t o[3];
    const int64_t plane = split_index(t, g.out, o);
    const float* xp = x + plane * volume(g.in);
    const Range d = window_cells(g, 0, o[0]), h = window_cells(g, 1, o[1]),
                w = window_cells(g, 2, o[2]);
    int64_t best = (d.lo * g.in[1] + h.lo) * g.in[2] + w.lo;  // every window has a cell
    float best_value = xp[best];
    for (int64_t id = d.lo; id < d.hi; ++id)
      for (int64_t ih = h.lo; ih < h.hi; ++ih)
        for (int64_t iw = w.lo; iw < w.hi; ++iw) {
          const int64_t cell = (id * g.in[1] + ih) * g.in[2] + iw;
          if (xp[cell] > best_value) {  // strict: the first of equal maxima wins, as in oneDNN
            best_value = xp[cell];
            best = cell;
          }
        }
    y[t] = best_value;
    if (argmax) argmax[t] = static_cast<int32_t>(best);
  }
}

__global__ void avg_forward_kernel(PoolGeometry g, const float* x, float* y) {
  const int64_t total = g.planes * volume(g.out);
  TESSERA_GRID_STRIDE(t, total) {
    int64_t o[3];
    const int64_t plane = split_index(t, g.out, o);
    const float* xp = x + plane * volume(g.in);
    const Range d = window_cells(g, 0, o[0]), h = window_cells(g, 1, o[1]),
                w = window_cells(g, 2, o[2]);
    float sum = 0.f;
    for (int64_t id = d.lo; id < d.hi; ++id)
      for (int64_t ih = h.lo; ih < h.hi; ++ih)
        for (int64_t iw = w.lo; iw < w.hi; ++iw) sum += xp[(id * g.in[1] + ih) * g.in[2] + iw];
    y[t] = sum / float((d.hi - d.lo) * (h.hi - h.lo) * (w.hi - w.lo));
  }
}

__global__ void max_backward_kernel(PoolGeometry g, const float* dy, const int32_t* argmax,
                                    float* dx) {
  const int64_t total = g.planes * volume(g.in);
  TESSERA_GRID_STRIDE(t, total) {
    int64_t i[3];
    const int64_t plane = split_index(t, g.in, i);
    const int64_t cell = (i[0] * g.in[1] + i[1]) * g.in[2] + i[2];
    const int64_t first_out = plane * volume(g.out);
    const Range d = covering_outputs(g, 0, i[0]), h = covering_outputs(g, 1, i[1]),
                w = covering_outputs(g, 2, i[2]);
    float sum = 0.f;
    for (int64_t od = d.lo; od < d.hi; ++od)
      for (int64_t oh = h.lo; oh < h.hi; ++oh)
        for (int64_t ow = w.lo; ow < w.hi; ++ow) {
          const int64_t out = first_out + (od * g.out[1] + oh) * g.out[2] + ow;
          if (argmax[out] == cell) sum += dy[out];
        }
    dx[t] = sum;
  }
}

__global__ void avg_backward_kernel(PoolGeometry g, const float* dy, float* dx) {
  const int64_t total = g.planes * volume(g.in);
  TESSERA_GRID_STRIDE(t, total) {
    int64_t i[3];
    const int64_t plane = split_index(t, g.in, i);
    const int64_t first_out = plane * volume(g.out);
    const Range d = covering_outputs(g, 0, i[0]), h = covering_outputs(g, 1, i[1]),
                w = covering_outputs(g, 2, i[2]);
    float sum = 0.f;
    for (int64_t od = d.lo; od < d.hi; ++od) {
      const Range wd = window_cells(g, 0, od);
      for (int64_t oh = h.lo; oh < h.hi; ++oh) {
        const Range wh = window_cells(g, 1, oh);
        for (int64_t ow = w.lo; ow < w.hi; ++ow) {
          const Range ww = window_cells(g, 2, ow);
          const float cells = float((wd.hi - wd.lo) * (wh.hi - wh.lo) * (ww.hi - ww.lo));
          sum += dy[first_out + (od * g.out[1] + oh) * g.out[2] + ow] / cells;
        }
      }
    }
    dx[t] = sum;
  }
}

}  // namespace

void launch_max_pool_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t n = g.planes * volume(g.out);
  max_forward_kernel<<<blocks_for(n), kThreads>>>(g, x, y, argmax);
  check_launch("max_pool_forward");
}

void launch_avg_pool_forward(const PoolGeometry& g, const float* x, float* y) {
  const int64_t n = g.planes * volume(g.out);
  avg_forward_kernel<<<blocks_for(n), kThreads>>>(g, x, y);
  check_launch("avg_pool_forward");
}

void launch_max_pool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax,
                              float* dx) {
  const int64_t n = g.planes * volume(g.in);
  max_backward_kernel<<<blocks_for(n), kThreads>>>(g, dy, argmax, dx);
  check_launch("max_pool_backward");
}

void launch_avg_pool_backward(const PoolGeometry& g, const float* dy, float* dx) {
  const int64_t n = g.planes * volume(g.in);
  avg_backward_kernel<<<blocks_for(n), kThreads>>>(g, dy, dx);
  check_launch("avg_pool_backward");
}

}  // namespace tessera::cuda
