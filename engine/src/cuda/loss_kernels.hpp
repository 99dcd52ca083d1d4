#pragma once
// Launchers of the loss kernels (loss_kernels.cu): the CPU's per-element formulas (cpu/loss.cpp)
// over plain float arrays on the current GPU, with every sum taken in double. Sums are
// deterministic: each block writes its partial sum, and one block adds the partials in order.
// `weight` and `mask` may be null (all ones).
#include <cstdint>

namespace tessera::cuda {

// The most blocks a summing kernel launches, so partial sums fit a fixed buffer.
constexpr int64_t kReduceBlocks = 1024;
// The most blocks per (sample, channel) pair that dice sums with.
constexpr int64_t kDiceChunks = 64;
// What the first-index scans leave when they find nothing.
constexpr unsigned long long kNotFound = ~0ULL;

// Device memory a sum goes through: kReduceBlocks partials, then the total in *total.
struct ReduceBuffers {
  double* partials;
  double* total;
};

// Scans set *first to the lowest index where the data is bad, or kNotFound.
void launch_first_nan(const float* t, int64_t n, unsigned long long* first);
// A label is bad unless negative (ignored) or an integer in [0, classes).
void launch_first_bad_label(const float* labels, int64_t n, int64_t classes,
                            unsigned long long* first);

// Which elements count towards a loss's denominator (each counts as its mask value).
enum class Count {
  all,       // every element
  labelled,  // those whose label in `values` is not negative
  centres,   // those whose target in `values` is exactly 1
};
void launch_count(Count which, const float* mask, const float* values, int64_t n,
                  ReduceBuffers sums);

// mse, l1 and bce: grad[i] = w m dloss / denom where w m != 0 (grad arrives zeroed), and
// *total = sum(w m loss).
enum class PointLoss { mse, l1, bce };
void launch_point_loss(PointLoss kind, const float* pred, const float* target, const float* weight,
                       const float* mask, int64_t n, double denom, float* grad, ReduceBuffers sums);

// Logits [N, classes, S...] with `pixels` = N * S labels; grad arrives zeroed.
void launch_softmax_cross_entropy(const float* logits, const float* labels, const float* weight,
                                  const float* mask, int64_t pixels, int64_t classes,
                                  int64_t spatial, double denom, float* grad, ReduceBuffers sums);

// Elements with mask 0 are skipped (grad arrives zeroed); mask values do not scale the rest.
void launch_centre_focal(const float* logits, const float* target, const float* mask, int64_t n,
                         float alpha, float beta, double denom, float* grad, ReduceBuffers sums);

// Per pair k of `pairs` runs of `spatial` elements: sums[3k..3k+2] = sum(e p t), sum(e p),
// sum(e t) with e = w m and p = sigmoid(logit). `partials` holds pairs * kDiceChunks * 3.
void launch_dice_sums(const float* logits, const float* target, const float* weight,
                      const float* mask, int64_t pairs, int64_t spatial, double* partials,
                      double* sums);
// The dice gradient from those sums, every element written.
void launch_dice_grad(const float* logits, const float* target, const float* weight,
                      const float* mask, int64_t pairs, int64_t spatial, const double* sums,
                      float smooth, float* grad);

}  // namespace tessera::cuda
