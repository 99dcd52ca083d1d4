#pragma once
// The interface a compute backend implements: the CPU on oneDNN (src/cpu), NVIDIA GPUs on cuDNN
// and cuBLAS (src/cuda). Each public op checks its contract once in src/ops/ and calls the
// backend of its operands' device, so a backend does the work and none of the checking:
// operands arrive defined where required, with matching shapes, on its device. The functions
// mirror the public ops one for one (see the ops/ headers for their contracts).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tessera/ops/activation.hpp"
#include "tessera/ops/conv.hpp"
#include "tessera/ops/dropout.hpp"
#include "tessera/ops/linalg.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/ops/lstm.hpp"
#include "tessera/ops/norm.hpp"
#include "tessera/ops/pool.hpp"
#include "tessera/ops/resample.hpp"
#include "tessera/ops/update.hpp"
#include "tessera/tensor/tensor.hpp"

namespace tessera {

class Backend {
 public:
  virtual ~Backend() = default;

  // ---- memory (the device's tracking allocator draws on these) ----
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void deallocate(void* data, std::size_t bytes) = 0;
  virtual void release_cached_memory() = 0;

  // ---- tensors ----
  // dst = src: same shape, any layouts; one of the two may be in host memory.
  virtual void copy(const Tensor& src, const Tensor& dst) = 0;
  virtual void fill(const Tensor& t, float value) = 0;  // plain float32
  virtual void zero(const Tensor& t) = 0;               // every byte, padding included
  // Returns when the work queued so far is done (a GPU runs asynchronously to the host).
  virtual void synchronize() = 0;

  // ---- activation.hpp ----
  virtual Tensor activation_forward(const Tensor& x, Activation a, float alpha) = 0;
  virtual Tensor activation_backward(const Tensor& from, bool from_output, const Tensor& dy,
                                     Activation a, float alpha) = 0;

  // ---- conv.hpp ----
  virtual Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                              const ConvParams& p) = 0;
  virtual ConvGrads conv_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                  const ConvParams& p, bool has_bias, bool need_dx) = 0;
  virtual Tensor conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                        const ConvParams& p) = 0;
  virtual ConvGrads conv_transpose_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                            const ConvParams& p, bool has_bias, bool need_dx) = 0;
  // x is already flattened to [N,F].
  virtual Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) = 0;
  virtual ConvGrads linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                    bool has_bias, bool need_dx) = 0;

  // ---- dropout.hpp ----
  virtual DropoutResult dropout_forward(const Tensor& x, float p, uint64_t seed) = 0;
  virtual Tensor dropout_backward(const Tensor& dy, const Tensor& mask) = 0;

  // ---- elementwise.hpp ----
  enum class Binary { add, subtract, multiply };
  // dst = a (op) b; dst may be a itself.
  virtual void binary(Binary op, const Tensor& a, const Tensor& b, const Tensor& dst) = 0;
  virtual Tensor scale(const Tensor& a, float s) = 0;
  virtual void running_average(const Tensor& avg, const Tensor& x, float decay) = 0;

  // ---- kron_factors.hpp ----
  virtual Tensor patch_covariance(const Tensor& x, const Shape& kernel, const ConvParams& p,
                                  bool bias) = 0;
  virtual Tensor output_gradient_covariance(const Tensor& dy) = 0;

  // ---- linalg.hpp ----
  virtual Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) = 0;
  virtual SymmetricEigen symmetric_eigen(const Tensor& a) = 0;
  virtual double dot(const Tensor& a, const Tensor& b) = 0;
  virtual Tensor divide_outer(const Tensor& m, const std::vector<double>& rows,
                              const std::vector<double>& cols) = 0;

  // ---- loss.hpp ----
  virtual LossResult mse_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) = 0;
  virtual LossResult l1_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) = 0;
  virtual LossResult bce_with_logits_loss(const Tensor& logits, const Tensor& target,
                                          const LossOptions& o) = 0;
  virtual LossResult softmax_cross_entropy_loss(const Tensor& logits, const Tensor& labels,
                                                const LossOptions& o) = 0;
  virtual LossResult centre_focal_loss(const Tensor& logits, const Tensor& target,
                                       const LossOptions& o, float alpha, float beta) = 0;
  virtual LossResult dice_loss(const Tensor& logits, const Tensor& target, const LossOptions& o,
                               float smooth) = 0;

  // ---- lstm.hpp ----
  virtual LstmResult lstm_forward(const Tensor& x, const LstmWeights& w, bool training) = 0;
  virtual LstmGrads lstm_backward(const Tensor& x, const LstmResult& forward, const LstmWeights& w,
                                  const Tensor& dy) = 0;

  // ---- norm.hpp ----
  // Replays with `mean` and `variance` when they are defined (batch_norm_forward_replay).
  virtual NormStats batch_norm_forward_train(const Tensor& x, const Tensor& gamma,
                                             const Tensor& beta, float eps, bool relu,
                                             const Tensor& mean, const Tensor& variance) = 0;
  virtual Tensor batch_norm_forward_infer(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                          const Tensor& mean, const Tensor& variance, float eps,
                                          bool relu) = 0;
  virtual NormGrads batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                        const Tensor& beta, const Tensor& mean,
                                        const Tensor& variance, float eps,
                                        const Tensor& relu_mask) = 0;
  virtual NormStats group_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                       int64_t groups, float eps) = 0;
  virtual NormGrads group_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                        const Tensor& mean, const Tensor& variance, int64_t groups,
                                        float eps) = 0;

  // ---- pool.hpp, resample.hpp (window settings resolved: stride and padding filled in) ----
  virtual PoolResult pool_forward(const Tensor& x, const PoolParams& p, bool training) = 0;
  virtual Tensor pool_backward(const Tensor& dy, const Tensor& workspace, const Layout& x_layout,
                               const PoolParams& p) = 0;
  virtual Tensor upsample_forward(const Tensor& x, UpsampleMode mode, const Shape& scale) = 0;
  virtual Tensor upsample_backward(const Tensor& dy, const Layout& x_layout, UpsampleMode mode,
                                   const Shape& scale) = 0;

  // ---- shape_ops.hpp (axes already non-negative) ----
  virtual Tensor concat(const std::vector<Tensor>& xs, int axis) = 0;
  virtual std::vector<Tensor> concat_backward(const Tensor& dy, const std::vector<int64_t>& sizes,
                                              int axis) = 0;
  virtual Tensor crop(const Tensor& x, const Shape& offsets, const Shape& shape) = 0;
  virtual Tensor crop_backward(const Tensor& dy, const Shape& x_shape, const Shape& offsets) = 0;
  virtual Tensor permute(const Tensor& x, const std::vector<int>& order) = 0;

  // ---- softmax.hpp, space_to_depth.hpp ----
  virtual Tensor softmax_forward(const Tensor& x, int axis) = 0;
  virtual Tensor softmax_backward(const Tensor& y, const Tensor& dy, int axis) = 0;
  virtual Tensor space_to_depth(const Tensor& x, int64_t factor) = 0;
  virtual Tensor depth_to_space(const Tensor& y, int64_t factor) = 0;

  // ---- update.hpp (parameters and optimizer state plain) ----
  virtual void sgd_update(const Tensor& w, const Tensor& grad, const Tensor& velocity,
                          const SgdStep& s) = 0;
  virtual void adam_update(const Tensor& w, const Tensor& grad, const Tensor& m, const Tensor& v,
                           const AdamStep& s) = 0;
};

// The backend of `device`; throws when tessera has none for it.
Backend& backend_for(Device device);

}  // namespace tessera
