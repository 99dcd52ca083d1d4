// Activations on the GPU: one kernel pass each (activation_kernels.cu).
#include "activation_kernels.hpp"
#include "backend.hpp"

namespace tessera::cuda {
namespace {

ActivationKind kernel_kind(Activation a) {
  switch (a) {
    case Activation::relu:
    case Activation::leaky_relu:  // plain relu arrives with alpha 0
      return ActivationKind::relu;
    case Activation::elu:
      return ActivationKind::elu;
    case Activation::sigmoid:
      return ActivationKind::sigmoid;
    case Activation::tanh:
      return ActivationKind::tanh;
    case Activation::identity:
      break;
  }
  return ActivationKind::identity;
}

}  // namespace

Tensor CudaBackend::activation_forward(const Tensor& x, Activation a, float alpha) {
  use_device(device_);
  const Tensor y(Layout::plain(x.shape()), Device::cuda(device_));
  launch_activation_forward(kernel_kind(a), alpha, floats(x), floats(y), x.numel());
  return y;
}

Tensor CudaBackend::activation_backward(const Tensor& from, bool from_output, const Tensor& dy,
                                        Activation a, float alpha) {
  use_device(device_);
  const Tensor dx(Layout::plain(dy.shape()), Device::cuda(device_));
  launch_activation_backward(kernel_kind(a), alpha, from_output, floats(from), floats(dy),
                             floats(dx), dy.numel());
  return dx;
}

}  // namespace tessera::cuda
