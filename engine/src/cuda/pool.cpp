// Max and average pooling on the GPU (pool_kernels.cu). The max-pooling workspace is this
// backend's own: per output, the int32 index of the winning cell within its input plane; only
// pool_backward here reads it.
#include <limits>
#include <stdexcept>
#include <string>

#include "backend.hpp"
#include "pool_kernels.hpp"

namespace tessera::cuda {
namespace {

std::string kind_name(PoolKind k) {
  return k == PoolKind::max ? "max pooling" : "avg pooling";
}

// `p` arrives resolved (stride and padding filled in); 1D and 2D fill the leading spatial dims.
PoolGeometry geometry_of(const Shape& x_shape, const PoolParams& p) {
  PoolGeometry g;
  g.planes = x_shape[0] * x_shape[1];
  const Shape y_shape = pool_output_shape(x_shape, p);
  const size_t spatial = x_shape.size() - 2, lead = 3 - spatial;
  for (size_t i = 0; i < spatial; ++i) {
    g.in[lead + i] = x_shape[2 + i];
    g.kernel[lead + i] = p.kernel[i];
    g.stride[lead + i] = p.stride[i];
    g.padding[lead + i] = p.padding[i];
    g.out[lead + i] = y_shape[2 + i];
  }
  return g;
}

int32_t* indices(const Tensor& t) {
  return static_cast<int32_t*>(t.raw());
}

}  // namespace

PoolResult CudaBackend::pool_forward(const Tensor& x, const PoolParams& p, bool training) {
  use_device(device_);
  const PoolGeometry g = geometry_of(x.shape(), p);
  PoolResult r;
  r.y = Tensor(Layout::plain(pool_output_shape(x.shape(), p)), Device::cuda(device_));
  if (p.kind == PoolKind::avg) {
    launch_avg_pool_forward(g, floats(x), floats(r.y));
    return r;
  }
  if (training) {
    if (g.in[0] * g.in[1] * g.in[2] > std::numeric_limits<int32_t>::max())
      throw std::invalid_argument("max pooling: input planes of " + to_string(x.shape()) +
                                  " are too large for the GPU's int32 workspace");
    r.workspace = Tensor(Layout::plain(r.y.shape(), DataType::s32), Device::cuda(device_));
  }
  launch_max_pool_forward(g, floats(x), floats(r.y), training ? indices(r.workspace) : nullptr);
  return r;
}

Tensor CudaBackend::pool_backward(const Tensor& dy, const Tensor& workspace, const Layout& x_layout,
                                  const PoolParams& p) {
  use_device(device_);
  const PoolGeometry g = geometry_of(x_layout.dims, p);
  const Tensor dx(Layout::plain(x_layout.dims), Device::cuda(device_));
  if (p.kind == PoolKind::avg) {
    launch_avg_pool_backward(g, floats(dy), floats(dx));
    return dx;
  }
  if (!workspace.defined() || workspace.layout().dtype != DataType::s32 ||
      workspace.shape() != dy.shape())
    throw std::invalid_argument(kind_name(p.kind) +
                                " backward: needs the workspace of a training forward "
                                "pass on the same input layout");
  launch_max_pool_backward(g, floats(dy), indices(workspace), floats(dx));
  return dx;
}

}  // namespace tessera::cuda
