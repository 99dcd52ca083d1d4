// Batch norm and group norm on the GPU, on tessera's own kernels (norm_kernels.cu) rather than
// cuDNN, so every returned field has the CPU's meaning: biased variances, batch statistics [C]
// and group statistics [N*G], inv_std = 1 / sqrt(variance + eps). A fused ReLU's mask is a u8
// tensor of x's shape, 1 where the output passed (y > 0).
#include <stdexcept>

#include "backend.hpp"
#include "norm_kernels.hpp"

namespace tessera::cuda {
namespace {

int64_t spatial_of(const Tensor& x) {
  const int64_t planes = x.dim(0) * x.dim(1);
  return planes == 0 ? 0 : x.numel() / planes;
}

NormShape norm_shape(const Tensor& x, int64_t group_channels) {
  return {x.dim(1), spatial_of(x), group_channels};
}

// Every element of one channel: a run of S in each of the N samples.
Runs channel_runs(const Tensor& x) {
  const int64_t s = spatial_of(x);
  return {x.dim(0), s, x.dim(1) * s, s};
}

// Every element of one (sample, group): C/G consecutive planes.
Runs group_runs(const Tensor& x, int64_t groups) {
  const int64_t length = x.dim(1) / groups * spatial_of(x);
  return {1, length, 0, length};
}

NormInput norm_input(const Tensor& x, const Tensor& mean, const Tensor& variance, float eps,
                     int64_t group_channels) {
  return {floats(x), floats(mean), floats(variance), eps, norm_shape(x, group_channels)};
}

uint8_t* bytes(const Tensor& t) {
  return t.defined() ? static_cast<uint8_t*>(t.raw()) : nullptr;
}

void check_relu_mask(const Tensor& mask, const Tensor& x) {
  if (mask.defined() && (mask.layout() != Layout::plain(x.shape(), DataType::u8)))
    throw std::invalid_argument("batch norm backward: the ReLU mask is not of a forward pass on " +
                                to_string(x.shape()) + " on the GPU");
}

}  // namespace

NormStats CudaBackend::batch_norm_forward_train(const Tensor& x, const Tensor& gamma,
                                                const Tensor& beta, float eps, bool relu,
                                                const Tensor& mean, const Tensor& variance) {
  use_device(device_);
  const Device gpu = Device::cuda(device_);
  const int64_t channels = x.dim(1);
  NormStats r{Tensor(Layout::plain(x.shape()), gpu), mean, variance, Tensor()};
  if (!mean.defined()) {  // training proper; a replay keeps the statistics it was given
    r.mean = Tensor(Layout::plain({channels}), gpu);
    r.variance = Tensor(Layout::plain({channels}), gpu);
    launch_moments(floats(x), channel_runs(x), channels, floats(r.mean), floats(r.variance));
  }
  if (relu) r.relu_mask = Tensor(Layout::plain(x.shape(), DataType::u8), gpu);
  launch_normalise(norm_input(x, r.mean, r.variance, eps, 0), floats(gamma), floats(beta), relu,
                   bytes(r.relu_mask), floats(r.y), x.numel());
  return r;
}

Tensor CudaBackend::batch_norm_forward_infer(const Tensor& x, const Tensor& gamma,
                                             const Tensor& beta, const Tensor& mean,
                                             const Tensor& variance, float eps, bool relu) {
  use_device(device_);
  const Tensor y(Layout::plain(x.shape()), Device::cuda(device_));
  launch_normalise(norm_input(x, mean, variance, eps, 0), floats(gamma), floats(beta), relu,
                   nullptr, floats(y), x.numel());
  return y;
}

// beta does not enter the gradients.
NormGrads CudaBackend::batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                           const Tensor& /*beta*/, const Tensor& mean,
                                           const Tensor& variance, float eps,
                                           const Tensor& relu_mask) {
  check_relu_mask(relu_mask, x);
  use_device(device_);
  const Device gpu = Device::cuda(device_);
  const int64_t channels = x.dim(1);
  NormGrads g{Tensor(Layout::plain(x.shape()), gpu), Tensor(Layout::plain({channels}), gpu),
              Tensor(Layout::plain({channels}), gpu)};
  const NormInput in = norm_input(x, mean, variance, eps, 0);
  const uint8_t* mask = bytes(relu_mask);
  // dbeta = sum dy and dgamma = sum dy * xhat are the very sums dx needs.
  launch_gradient_sums(in, floats(dy), mask, nullptr, channel_runs(x), channels, floats(g.dbeta),
                       floats(g.dgamma));
  launch_normalise_backward(in, floats(dy), mask, floats(gamma), floats(g.dbeta), floats(g.dgamma),
                            /*sums_have_gamma=*/false, x.dim(0) * spatial_of(x), floats(g.dx),
                            x.numel());
  return g;
}

NormStats CudaBackend::group_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                          int64_t groups, float eps) {
  use_device(device_);
  const Device gpu = Device::cuda(device_);
  const int64_t statistics = x.dim(0) * groups;
  NormStats r{Tensor(Layout::plain(x.shape()), gpu), Tensor(Layout::plain({statistics}), gpu),
              Tensor(Layout::plain({statistics}), gpu), Tensor()};
  launch_moments(floats(x), group_runs(x, groups), statistics, floats(r.mean), floats(r.variance));
  launch_normalise(norm_input(x, r.mean, r.variance, eps, x.dim(1) / groups), floats(gamma),
                   floats(beta), /*relu=*/false, nullptr, floats(r.y), x.numel());
  return r;
}

NormGrads CudaBackend::group_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                           const Tensor& mean, const Tensor& variance,
                                           int64_t groups, float eps) {
  use_device(device_);
  const Device gpu = Device::cuda(device_);
  const int64_t channels = x.dim(1), statistics = x.dim(0) * groups;
  NormGrads g{Tensor(Layout::plain(x.shape()), gpu), Tensor(Layout::plain({channels}), gpu),
              Tensor(Layout::plain({channels}), gpu)};
  const NormInput in = norm_input(x, mean, variance, eps, channels / groups);
  // The affine's gradients per channel, then the normalisation's sums of dy * gamma per group.
  launch_gradient_sums(in, floats(dy), nullptr, nullptr, channel_runs(x), channels, floats(g.dbeta),
                       floats(g.dgamma));
  const Tensor sum_w(Layout::plain({statistics}), gpu),
      sum_w_xhat(Layout::plain({statistics}), gpu);
  launch_gradient_sums(in, floats(dy), nullptr, floats(gamma), group_runs(x, groups), statistics,
                       floats(sum_w), floats(sum_w_xhat));
  launch_normalise_backward(in, floats(dy), nullptr, floats(gamma), floats(sum_w),
                            floats(sum_w_xhat), /*sums_have_gamma=*/true,
                            channels / groups * spatial_of(x), floats(g.dx), x.numel());
  return g;
}

}  // namespace tessera::cuda
