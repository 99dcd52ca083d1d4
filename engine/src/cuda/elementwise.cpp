// Elementwise ops on the GPU: one kernel pass each (elementwise_kernels.cu).
#include "backend.hpp"
#include "elementwise_kernels.hpp"

namespace tessera::cuda {
namespace {

BinaryOp kernel_op(Backend::Binary op) {
  switch (op) {
    case Backend::Binary::subtract:
      return BinaryOp::subtract;
    case Backend::Binary::multiply:
      return BinaryOp::multiply;
    case Backend::Binary::add:
      break;
  }
  return BinaryOp::add;
}

}  // namespace

void CudaBackend::binary(Binary op, const Tensor& a, const Tensor& b, const Tensor& dst) {
  use_device(device_);
  launch_binary(kernel_op(op), floats(a), floats(b), floats(dst), a.numel());
}

Tensor CudaBackend::scale(const Tensor& a, float s) {
  use_device(device_);
  const Tensor out(a.layout(), a.device());
  launch_scale(floats(a), s, floats(out), a.numel());
  return out;
}

void CudaBackend::running_average(const Tensor& avg, const Tensor& x, float decay) {
  use_device(device_);
  launch_running_average(floats(avg), floats(x), decay, avg.numel());
}

}  // namespace tessera::cuda
