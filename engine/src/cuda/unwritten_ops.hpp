#pragma once
// The ops the CUDA backend does not have yet. Each throws one line that names the op and says to
// run on the CPU, so a model on the GPU fails at its first such op instead of computing
// something else. An op leaves this list when src/cuda gets its cuDNN / cuBLAS / kernel version
// and a gpu-labelled test against the CPU op.
#include <string>

#include "../ops/backend.hpp"

namespace tessera::cuda {

class UnwrittenOps : public Backend {
 public:
  explicit UnwrittenOps(int device) : device_(device) {}

  Tensor activation_forward(const Tensor&, Activation, float) override {
    unwritten("activation_forward");
  }
  Tensor activation_backward(const Tensor&, bool, const Tensor&, Activation, float) override {
    unwritten("activation_backward");
  }
  Tensor conv_forward(const Tensor&, const Tensor&, const Tensor&, const ConvParams&) override {
    unwritten("conv_forward");
  }
  ConvGrads conv_backward(const Tensor&, const Tensor&, const Tensor&, const ConvParams&, bool,
                          bool) override {
    unwritten("conv_backward");
  }
  Tensor conv_transpose_forward(const Tensor&, const Tensor&, const Tensor&,
                                const ConvParams&) override {
    unwritten("conv_transpose_forward");
  }
  ConvGrads conv_transpose_backward(const Tensor&, const Tensor&, const Tensor&, const ConvParams&,
                                    bool, bool) override {
    unwritten("conv_transpose_backward");
  }
  Tensor linear_forward(const Tensor&, const Tensor&, const Tensor&) override {
    unwritten("linear_forward");
  }
  ConvGrads linear_backward(const Tensor&, const Tensor&, const Tensor&, bool, bool) override {
    unwritten("linear_backward");
  }
  DropoutResult dropout_forward(const Tensor&, float, uint64_t) override {
    unwritten("dropout_forward");
  }
  Tensor dropout_backward(const Tensor&, const Tensor&) override { unwritten("dropout_backward"); }
  void binary(Binary, const Tensor&, const Tensor&, const Tensor&) override { unwritten("binary"); }
  Tensor scale(const Tensor&, float) override { unwritten("scale"); }
  void running_average(const Tensor&, const Tensor&, float) override {
    unwritten("running_average");
  }
  Tensor patch_covariance(const Tensor&, const Shape&, const ConvParams&, bool) override {
    unwritten("patch_covariance");
  }
  Tensor output_gradient_covariance(const Tensor&) override {
    unwritten("output_gradient_covariance");
  }
  Tensor matmul(const Tensor&, const Tensor&, bool, bool) override { unwritten("matmul"); }
  SymmetricEigen symmetric_eigen(const Tensor&) override { unwritten("symmetric_eigen"); }
  double dot(const Tensor&, const Tensor&) override { unwritten("dot"); }
  Tensor divide_outer(const Tensor&, const std::vector<double>&,
                      const std::vector<double>&) override {
    unwritten("divide_outer");
  }
  LossResult mse_loss(const Tensor&, const Tensor&, const LossOptions&) override {
    unwritten("mse_loss");
  }
  LossResult l1_loss(const Tensor&, const Tensor&, const LossOptions&) override {
    unwritten("l1_loss");
  }
  LossResult bce_with_logits_loss(const Tensor&, const Tensor&, const LossOptions&) override {
    unwritten("bce_with_logits_loss");
  }
  LossResult softmax_cross_entropy_loss(const Tensor&, const Tensor&, const LossOptions&) override {
    unwritten("softmax_cross_entropy_loss");
  }
  LossResult centre_focal_loss(const Tensor&, const Tensor&, const LossOptions&, float,
                               float) override {
    unwritten("centre_focal_loss");
  }
  LossResult dice_loss(const Tensor&, const Tensor&, const LossOptions&, float) override {
    unwritten("dice_loss");
  }
  LstmResult lstm_forward(const Tensor&, const LstmWeights&, bool) override {
    unwritten("lstm_forward");
  }
  LstmGrads lstm_backward(const Tensor&, const LstmResult&, const LstmWeights&,
                          const Tensor&) override {
    unwritten("lstm_backward");
  }
  NormStats batch_norm_forward_train(const Tensor&, const Tensor&, const Tensor&, float, bool,
                                     const Tensor&, const Tensor&) override {
    unwritten("batch_norm_forward_train");
  }
  Tensor batch_norm_forward_infer(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                  const Tensor&, float, bool) override {
    unwritten("batch_norm_forward_infer");
  }
  NormGrads batch_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                const Tensor&, const Tensor&, float, const Tensor&) override {
    unwritten("batch_norm_backward");
  }
  NormStats group_norm_forward(const Tensor&, const Tensor&, const Tensor&, int64_t,
                               float) override {
    unwritten("group_norm_forward");
  }
  NormGrads group_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                const Tensor&, int64_t, float) override {
    unwritten("group_norm_backward");
  }
  PoolResult pool_forward(const Tensor&, const PoolParams&, bool) override {
    unwritten("pool_forward");
  }
  Tensor pool_backward(const Tensor&, const Tensor&, const Layout&, const PoolParams&) override {
    unwritten("pool_backward");
  }
  Tensor upsample_forward(const Tensor&, UpsampleMode, const Shape&) override {
    unwritten("upsample_forward");
  }
  Tensor upsample_backward(const Tensor&, const Layout&, UpsampleMode, const Shape&) override {
    unwritten("upsample_backward");
  }
  Tensor concat(const std::vector<Tensor>&, int) override { unwritten("concat"); }
  std::vector<Tensor> concat_backward(const Tensor&, const std::vector<int64_t>&, int) override {
    unwritten("concat_backward");
  }
  Tensor crop(const Tensor&, const Shape&, const Shape&) override { unwritten("crop"); }
  Tensor crop_backward(const Tensor&, const Shape&, const Shape&) override {
    unwritten("crop_backward");
  }
  Tensor permute(const Tensor&, const std::vector<int>&) override { unwritten("permute"); }
  Tensor softmax_forward(const Tensor&, int) override { unwritten("softmax_forward"); }
  Tensor softmax_backward(const Tensor&, const Tensor&, int) override {
    unwritten("softmax_backward");
  }
  Tensor space_to_depth(const Tensor&, int64_t) override { unwritten("space_to_depth"); }
  Tensor depth_to_space(const Tensor&, int64_t) override { unwritten("depth_to_space"); }
  void sgd_update(const Tensor&, const Tensor&, const Tensor&, const SgdStep&) override {
    unwritten("sgd_update");
  }
  void adam_update(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                   const AdamStep&) override {
    unwritten("adam_update");
  }

 protected:
  [[noreturn]] void unwritten(const std::string& op) const;
  int device_;  // which GPU
};

}  // namespace tessera::cuda
