// Dropout on the GPU: the CPU's mask for the same seed (dropout_kernels.cu); the backward pass is
// dy times that mask.
#include "backend.hpp"
#include "dropout_kernels.hpp"
#include "elementwise_kernels.hpp"

namespace tessera::cuda {

DropoutResult CudaBackend::dropout_forward(const Tensor& x, float p, uint64_t seed) {
  use_device(device_);
  const Layout plain = Layout::plain(x.shape());
  DropoutResult r{Tensor(plain, Device::cuda(device_)), Tensor(plain, Device::cuda(device_))};
  // The keep scale is the CPU's float division, computed once on the host.
  launch_dropout(floats(x), p, 1.f / (1.f - p), seed, floats(r.y), floats(r.mask), x.numel());
  return r;
}

Tensor CudaBackend::dropout_backward(const Tensor& dy, const Tensor& mask) {
  use_device(device_);
  const Tensor dx(Layout::plain(dy.shape()), Device::cuda(device_));
  launch_binary(BinaryOp::multiply, floats(dy), floats(mask), floats(dx), dy.numel());
  return dx;
}

}  // namespace tessera::cuda
