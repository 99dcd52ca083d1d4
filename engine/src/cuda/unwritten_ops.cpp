// The ops the CUDA backend does not have yet. Each throws one line that names the op and says to
// run on the CPU, so a model on the GPU fails at its first such op instead of computing
// something else. An op leaves this file when src/cuda gets its cuDNN / cuBLAS / kernel version
// and a gpu-labelled test against the CPU op (tests/gpu).
#include "backend.hpp"

namespace tessera::cuda {

Tensor CudaBackend::activation_forward(const Tensor&, Activation, float) {
  unwritten("activation_forward");
}

Tensor CudaBackend::activation_backward(const Tensor&, bool, const Tensor&, Activation, float) {
  unwritten("activation_backward");
}

Tensor CudaBackend::conv_forward(const Tensor&, const Tensor&, const Tensor&, const ConvParams&) {
  unwritten("conv_forward");
}

ConvGrads CudaBackend::conv_backward(const Tensor&, const Tensor&, const Tensor&, const ConvParams&,
                                     bool, bool) {
  unwritten("conv_backward");
}

Tensor CudaBackend::conv_transpose_forward(const Tensor&, const Tensor&, const Tensor&,
                                           const ConvParams&) {
  unwritten("conv_transpose_forward");
}

ConvGrads CudaBackend::conv_transpose_backward(const Tensor&, const Tensor&, const Tensor&,
                                               const ConvParams&, bool, bool) {
  unwritten("conv_transpose_backward");
}

Tensor CudaBackend::linear_forward(const Tensor&, const Tensor&, const Tensor&) {
  unwritten("linear_forward");
}

ConvGrads CudaBackend::linear_backward(const Tensor&, const Tensor&, const Tensor&, bool, bool) {
  unwritten("linear_backward");
}

DropoutResult CudaBackend::dropout_forward(const Tensor&, float, uint64_t) {
  unwritten("dropout_forward");
}

Tensor CudaBackend::dropout_backward(const Tensor&, const Tensor&) {
  unwritten("dropout_backward");
}

Tensor CudaBackend::patch_covariance(const Tensor&, const Shape&, const ConvParams&, bool) {
  unwritten("patch_covariance");
}

Tensor CudaBackend::output_gradient_covariance(const Tensor&) {
  unwritten("output_gradient_covariance");
}

Tensor CudaBackend::matmul(const Tensor&, const Tensor&, bool, bool) {
  unwritten("matmul");
}

SymmetricEigen CudaBackend::symmetric_eigen(const Tensor&) {
  unwritten("symmetric_eigen");
}

double CudaBackend::dot(const Tensor&, const Tensor&) {
  unwritten("dot");
}

Tensor CudaBackend::divide_outer(const Tensor&, const std::vector<double>&,
                                 const std::vector<double>&) {
  unwritten("divide_outer");
}

LossResult CudaBackend::mse_loss(const Tensor&, const Tensor&, const LossOptions&) {
  unwritten("mse_loss");
}

LossResult CudaBackend::l1_loss(const Tensor&, const Tensor&, const LossOptions&) {
  unwritten("l1_loss");
}

LossResult CudaBackend::bce_with_logits_loss(const Tensor&, const Tensor&, const LossOptions&) {
  unwritten("bce_with_logits_loss");
}

LossResult CudaBackend::softmax_cross_entropy_loss(const Tensor&, const Tensor&,
                                                   const LossOptions&) {
  unwritten("softmax_cross_entropy_loss");
}

LossResult CudaBackend::centre_focal_loss(const Tensor&, const Tensor&, const LossOptions&, float,
                                          float) {
  unwritten("centre_focal_loss");
}

LossResult CudaBackend::dice_loss(const Tensor&, const Tensor&, const LossOptions&, float) {
  unwritten("dice_loss");
}

LstmResult CudaBackend::lstm_forward(const Tensor&, const LstmWeights&, bool) {
  unwritten("lstm_forward");
}

LstmGrads CudaBackend::lstm_backward(const Tensor&, const LstmResult&, const LstmWeights&,
                                     const Tensor&) {
  unwritten("lstm_backward");
}

NormStats CudaBackend::batch_norm_forward_train(const Tensor&, const Tensor&, const Tensor&, float,
                                                bool, const Tensor&, const Tensor&) {
  unwritten("batch_norm_forward_train");
}

Tensor CudaBackend::batch_norm_forward_infer(const Tensor&, const Tensor&, const Tensor&,
                                             const Tensor&, const Tensor&, float, bool) {
  unwritten("batch_norm_forward_infer");
}

NormGrads CudaBackend::batch_norm_backward(const Tensor&, const Tensor&, const Tensor&,
                                           const Tensor&, const Tensor&, const Tensor&, float,
                                           const Tensor&) {
  unwritten("batch_norm_backward");
}

NormStats CudaBackend::group_norm_forward(const Tensor&, const Tensor&, const Tensor&, int64_t,
                                          float) {
  unwritten("group_norm_forward");
}

NormGrads CudaBackend::group_norm_backward(const Tensor&, const Tensor&, const Tensor&,
                                           const Tensor&, const Tensor&, int64_t, float) {
  unwritten("group_norm_backward");
}

PoolResult CudaBackend::pool_forward(const Tensor&, const PoolParams&, bool) {
  unwritten("pool_forward");
}

Tensor CudaBackend::pool_backward(const Tensor&, const Tensor&, const Layout&, const PoolParams&) {
  unwritten("pool_backward");
}

Tensor CudaBackend::upsample_forward(const Tensor&, UpsampleMode, const Shape&) {
  unwritten("upsample_forward");
}

Tensor CudaBackend::upsample_backward(const Tensor&, const Layout&, UpsampleMode, const Shape&) {
  unwritten("upsample_backward");
}

Tensor CudaBackend::concat(const std::vector<Tensor>&, int) {
  unwritten("concat");
}

std::vector<Tensor> CudaBackend::concat_backward(const Tensor&, const std::vector<int64_t>&, int) {
  unwritten("concat_backward");
}

Tensor CudaBackend::crop(const Tensor&, const Shape&, const Shape&) {
  unwritten("crop");
}

Tensor CudaBackend::crop_backward(const Tensor&, const Shape&, const Shape&) {
  unwritten("crop_backward");
}

Tensor CudaBackend::permute(const Tensor&, const std::vector<int>&) {
  unwritten("permute");
}

Tensor CudaBackend::softmax_forward(const Tensor&, int) {
  unwritten("softmax_forward");
}

Tensor CudaBackend::softmax_backward(const Tensor&, const Tensor&, int) {
  unwritten("softmax_backward");
}

Tensor CudaBackend::space_to_depth(const Tensor&, int64_t) {
  unwritten("space_to_depth");
}

Tensor CudaBackend::depth_to_space(const Tensor&, int64_t) {
  unwritten("depth_to_space");
}

}  // namespace tessera::cuda
