#pragma once
// The CUDA backend: one per GPU. Tensors on a GPU are plain (N,C,[D,]H,W) float32; memory comes
// from the device's caching allocator. Each op family has its own file here, as in src/cpu:
// cuDNN for convolutions and the LSTM, cuBLAS / cuSOLVER for linear algebra, small kernels
// (*_kernels.cu behind plain launchers) for the rest. Contracts are checked before these run.
#include <cublas_v2.h>
#include <cudnn.h>

#include <mutex>
#include <string>

#include "../ops/backend.hpp"
#include "allocator.hpp"
#include "cuda_check.hpp"

namespace tessera::cuda {

// A GPU tensor's floats, for kernels and library calls (GPU tensors are plain float32).
inline float* floats(const Tensor& t) {
  return static_cast<float*>(t.raw());
}

// Untyped bytes on GPU `device` from its caching allocator: library workspaces, and scratch for
// doubles and ints.
inline Tensor device_bytes(std::size_t bytes, int device) {
  return Tensor(Layout::plain({static_cast<int64_t>(bytes)}, DataType::u8), Device::cuda(device));
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  void* allocate(std::size_t bytes) override;
  void deallocate(void* data, std::size_t bytes) override;
  void release_cached_memory() override;
  void copy(const Tensor& src, const Tensor& dst) override;
  void fill(const Tensor& t, float value) override;
  void zero(const Tensor& t) override;
  void synchronize() override;
  Tensor activation_forward(const Tensor& x, Activation a, float alpha) override;
  Tensor activation_backward(const Tensor& from, bool from_output, const Tensor& dy, Activation a,
                             float alpha) override;
  Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                      const ConvParams& p) override;
  ConvGrads conv_backward(const Tensor& x, const Tensor& w, const Tensor& dy, const ConvParams& p,
                          bool has_bias, bool need_dx) override;
  Tensor conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                const ConvParams& p) override;
  ConvGrads conv_transpose_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                    const ConvParams& p, bool has_bias, bool need_dx) override;
  Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) override;
  ConvGrads linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy, bool has_bias,
                            bool need_dx) override;
  DropoutResult dropout_forward(const Tensor& x, float p, uint64_t seed) override;
  Tensor dropout_backward(const Tensor& dy, const Tensor& mask) override;
  void binary(Binary op, const Tensor& a, const Tensor& b, const Tensor& dst) override;
  Tensor scale(const Tensor& a, float s) override;
  void running_average(const Tensor& avg, const Tensor& x, float decay) override;
  Tensor patch_covariance(const Tensor& x, const Shape& kernel, const ConvParams& p,
                          bool bias) override;
  Tensor output_gradient_covariance(const Tensor& dy) override;
  Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) override;
  SymmetricEigen symmetric_eigen(const Tensor& a) override;
  double dot(const Tensor& a, const Tensor& b) override;
  Tensor divide_outer(const Tensor& m, const std::vector<double>& rows,
                      const std::vector<double>& cols) override;
  LossResult mse_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) override;
  LossResult l1_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) override;
  LossResult bce_with_logits_loss(const Tensor& logits, const Tensor& target,
                                  const LossOptions& o) override;
  LossResult softmax_cross_entropy_loss(const Tensor& logits, const Tensor& labels,
                                        const LossOptions& o) override;
  LossResult centre_focal_loss(const Tensor& logits, const Tensor& target, const LossOptions& o,
                               float alpha, float beta) override;
  LossResult dice_loss(const Tensor& logits, const Tensor& target, const LossOptions& o,
                       float smooth) override;
  LstmResult lstm_forward(const Tensor& x, const LstmWeights& w, bool training) override;
  LstmGrads lstm_backward(const Tensor& x, const LstmResult& forward, const LstmWeights& w,
                          const Tensor& dy) override;
  NormStats batch_norm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                     float eps, bool relu, const Tensor& mean,
                                     const Tensor& variance) override;
  Tensor batch_norm_forward_infer(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                  const Tensor& mean, const Tensor& variance, float eps,
                                  bool relu) override;
  NormGrads batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                const Tensor& beta, const Tensor& mean, const Tensor& variance,
                                float eps, const Tensor& relu_mask) override;
  NormStats group_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                               int64_t groups, float eps) override;
  NormGrads group_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                const Tensor& mean, const Tensor& variance, int64_t groups,
                                float eps) override;
  PoolResult pool_forward(const Tensor& x, const PoolParams& p, bool training) override;
  Tensor pool_backward(const Tensor& dy, const Tensor& workspace, const Layout& x_layout,
                       const PoolParams& p) override;
  Tensor upsample_forward(const Tensor& x, UpsampleMode mode, const Shape& scale) override;
  Tensor upsample_backward(const Tensor& dy, const Layout& x_layout, UpsampleMode mode,
                           const Shape& scale) override;
  Tensor concat(const std::vector<Tensor>& xs, int axis) override;
  std::vector<Tensor> concat_backward(const Tensor& dy, const std::vector<int64_t>& sizes,
                                      int axis) override;
  Tensor crop(const Tensor& x, const Shape& offsets, const Shape& shape) override;
  Tensor crop_backward(const Tensor& dy, const Shape& x_shape, const Shape& offsets) override;
  Tensor permute(const Tensor& x, const std::vector<int>& order) override;
  Tensor softmax_forward(const Tensor& x, int axis) override;
  Tensor softmax_backward(const Tensor& y, const Tensor& dy, int axis) override;
  Tensor space_to_depth(const Tensor& x, int64_t factor) override;
  Tensor depth_to_space(const Tensor& y, int64_t factor) override;
  void sgd_update(const Tensor& w, const Tensor& grad, const Tensor& velocity,
                  const SgdStep& s) override;
  void adam_update(const Tensor& w, const Tensor& grad, const Tensor& m, const Tensor& v,
                   const AdamStep& s) override;

 private:
  // Library handles, created on first use on this backend's device. Every call runs on the
  // device's default stream, so kernels, copies and library calls are ordered without events.
  cudnnHandle_t cudnn();
  cublasHandle_t cublas();
  int device_;  // which GPU
  DeviceCache cache_;
  std::once_flag cudnn_once_, cublas_once_;
  cudnnHandle_t cudnn_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
};

}  // namespace tessera::cuda
