#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backend.hpp"

// Losses run once per step on one output, so they are plain OpenMP loops over row-major data
// rather than oneDNN primitives. Sums are accumulated in double with schedule(static), which
// makes every result deterministic for a fixed thread count.
namespace tessera::cpu {
namespace {

// Index of the first element of [0, n) for which `bad(i)` holds, or -1.
template <typename Pred>
int64_t first_where(int64_t n, Pred bad) {
  int64_t first = std::numeric_limits<int64_t>::max();
#pragma omp parallel for reduction(min : first) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    if (bad(i)) first = std::min(first, i);
  return first == std::numeric_limits<int64_t>::max() ? -1 : first;
}

void check_no_nan(const char* op, const Tensor& target) {
  const float* t = target.data();
  const int64_t i = first_where(target.numel(), [t](int64_t k) { return std::isnan(t[k]); });
  if (i >= 0)
    throw std::invalid_argument(std::string(op) + ": target contains NaN at element " +
                                std::to_string(i));
}

// The per-element factor weight * mask, read from plain copies of the options. `mask_sum` is
// the denominator of the documented reduction (the element count when there is no mask).
class ElementScale {
 public:
  explicit ElementScale(const LossOptions& o) {
    if (o.weight.defined()) {
      weight_ = o.weight.to_plain();
      w_ = weight_.data();
    }
    if (o.mask.defined()) {
      mask_ = o.mask.to_plain();
      m_ = mask_.data();
    }
  }
  float operator()(int64_t i) const { return (w_ ? w_[i] : 1.f) * (m_ ? m_[i] : 1.f); }
  float mask(int64_t i) const { return m_ ? m_[i] : 1.f; }
  double mask_sum(int64_t n) const {
    double s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static)
    for (int64_t i = 0; i < n; ++i) s += mask(i);
    return s;
  }

 private:
  Tensor weight_, mask_;  // keep the plain copies alive
  const float* w_ = nullptr;
  const float* m_ = nullptr;
};

// Shared by mse / l1 / bce: `term(p, t)` gives {loss, d loss / d p} for one element, and the
// result is sum(w*m*loss) / sum(m) with gradient w*m*dloss / sum(m).
template <typename Term>
LossResult elementwise_loss(const char* op, const Tensor& pred, const Tensor& target,
                            const LossOptions& o, Term term) {
  const Tensor p = pred.to_plain(), t = target.to_plain();
  check_no_nan(op, t);
  const ElementScale scale(o);
  const int64_t n = p.numel();
  LossResult r{0.f, Tensor::zeros(pred.shape())};
  const double denom = scale.mask_sum(n);
  if (denom == 0) return r;  // nothing included: zero loss, zero gradient

  const float *pp = p.data(), *tp = t.data();
  float* g = r.grad.data();
  double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const double e = scale(i);
    if (e == 0) continue;  // excluded terms may be inf (e.g. huge logits); keep them out
    const auto [loss, dloss] = term(double(pp[i]), double(tp[i]));
    sum += e * loss;
    g[i] = float(e * dloss / denom);
  }
  r.value = float(sum / denom);
  return r;
}

double sigmoid(double z) {
  // Two branches so exp never overflows.
  if (z >= 0) return 1 / (1 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1 + e);
}

}  // namespace

LossResult CpuBackend::mse_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) {
  return elementwise_loss("mse_loss", pred, target, o, [](double p, double t) {
    const double d = p - t;
    return std::pair{d * d, 2 * d};
  });
}

LossResult CpuBackend::l1_loss(const Tensor& pred, const Tensor& target, const LossOptions& o) {
  return elementwise_loss("l1_loss", pred, target, o, [](double p, double t) {
    const double d = p - t;
    return std::pair{std::abs(d), double((d > 0) - (d < 0))};  // subgradient 0 at the kink
  });
}

LossResult CpuBackend::bce_with_logits_loss(const Tensor& logits, const Tensor& target,
                                            const LossOptions& o) {
  // One float exp serves the loss and the sigmoid, and logf(1 + e) stands for log1p (glibc's
  // log1pf is several times slower): in double, with two exps and log1p, this loss took a tenth
  // of the connectomics U-Net's training step. exp(-|z|) is in (0, 1], so nothing overflows; a
  // term is off by at most 1e-7 and the sum is still taken in double.
  return elementwise_loss("bce_with_logits_loss", logits, target, o, [](double z, double t) {
    const float zf = float(z), e = std::exp(-std::abs(zf));
    const double loss = std::max(z, 0.0) - z * t + double(std::log(1.f + e));
    const double sigmoid_z = zf >= 0 ? 1 / (1 + double(e)) : double(e) / (1 + double(e));
    return std::pair{loss, sigmoid_z - t};
  });
}

LossResult CpuBackend::centre_focal_loss(const Tensor& logits, const Tensor& target,
                                         const LossOptions& o, float alpha, float beta) {
  const char* op = "centre_focal_loss";
  const Tensor z = logits.to_plain(), t = target.to_plain();
  check_no_nan(op, t);
  const ElementScale scale(o);
  const int64_t n = z.numel();
  const float *zp = z.data(), *tp = t.data();
  double centres = 0;
#pragma omp parallel for reduction(+ : centres) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    if (tp[i] == 1.f) centres += scale.mask(i);
  const double denom = std::max(1.0, centres);

  LossResult r{0.f, Tensor::zeros(logits.shape())};
  float* g = r.grad.data();
  double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    if (scale.mask(i) == 0) continue;
    const double x = zp[i], p = sigmoid(x);
    // log p and log(1 - p) from softplus, exact for large |z|.
    const double log_p = -(std::max(-x, 0.0) + std::log1p(std::exp(-std::abs(x))));
    const double log_q = log_p - x;
    double loss, dloss;
    if (tp[i] == 1.f) {
      const double q_a = std::pow(1 - p, double(alpha));
      loss = -q_a * log_p;
      dloss = alpha * p * q_a * log_p - q_a * (1 - p);
    } else {
      const double w = std::pow(1 - double(tp[i]), double(beta)), p_a = std::pow(p, double(alpha));
      loss = -w * p_a * log_q;
      dloss = w * p_a * (p - alpha * (1 - p) * log_q);
    }
    sum += loss;
    g[i] = float(dloss / denom);
  }
  r.value = float(sum / denom);
  return r;
}

LossResult CpuBackend::softmax_cross_entropy_loss(const Tensor& logits, const Tensor& labels,
                                                  const LossOptions& o) {
  const char* op = "softmax_cross_entropy_loss";
  const Tensor z = logits.to_plain(), y = labels.to_plain();
  const ElementScale scale(o);

  const int64_t C = logits.dim(1), pixels = y.numel(), S = pixels / logits.dim(0);
  const float* yp = y.data();
  // A label is a class index in [0, C) or negative (ignored); anything else is a data error.
  const int64_t bad = first_where(pixels, [yp, C](int64_t i) {
    const float l = yp[i];
    return !(l < 0 || (l < float(C) && l == std::floor(l)));
  });
  if (bad >= 0)
    throw std::invalid_argument(std::string(op) + ": label " + std::to_string(yp[bad]) +
                                " at element " + std::to_string(bad) +
                                " is not a class index in [0, " + std::to_string(C) + ")");

  // Ignored labels leave the denominator like masked pixels do.
  double denom = 0;
#pragma omp parallel for reduction(+ : denom) schedule(static)
  for (int64_t i = 0; i < pixels; ++i)
    if (yp[i] >= 0) denom += scale.mask(i);
  LossResult r{0.f, Tensor::zeros(logits.shape())};
  if (denom == 0) return r;

  const float* zp = z.data();
  float* g = r.grad.data();
  double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
  for (int64_t i = 0; i < pixels; ++i) {
    const double e = scale(i);
    if (yp[i] < 0 || e == 0) continue;
    const int64_t base = (i / S) * C * S + i % S;  // channel c of pixel i is at base + c*S
    float zmax = zp[base];
    for (int64_t c = 1; c < C; ++c) zmax = std::max(zmax, zp[base + c * S]);
    double sum_exp = 0;
    for (int64_t c = 0; c < C; ++c) sum_exp += std::exp(double(zp[base + c * S]) - zmax);
    const double lse = zmax + std::log(sum_exp);
    const int64_t label = int64_t(yp[i]);
    sum += e * (lse - zp[base + label * S]);
    for (int64_t c = 0; c < C; ++c) {
      const double prob = std::exp(double(zp[base + c * S]) - lse);
      g[base + c * S] = float(e * (prob - (c == label)) / denom);
    }
  }
  r.value = float(sum / denom);
  return r;
}

LossResult CpuBackend::dice_loss(const Tensor& logits, const Tensor& target, const LossOptions& o,
                                 float smooth) {
  const char* op = "dice_loss";
  const Tensor z = logits.to_plain(), t = target.to_plain();
  check_no_nan(op, t);
  // Weight and mask scale each element's share of the three sums (a weighted soft Dice).
  const ElementScale scale(o);

  const int64_t pairs = logits.dim(0) * logits.dim(1), S = logits.numel() / pairs;
  const float *zp = z.data(), *tp = t.data();
  // Per (sample, channel): numerator 2 sum(p t) + smooth and denominator sum p + sum t + smooth.
  std::vector<double> num(pairs), den(pairs);
  double total = 0;
  for (int64_t k = 0; k < pairs; ++k) {
    // Pairs are few (batch x classes) and S is large, so the parallelism is within a pair.
    double inter = 0, psum = 0, tsum = 0;
#pragma omp parallel for reduction(+ : inter, psum, tsum) schedule(static)
    for (int64_t s = 0; s < S; ++s) {
      const int64_t i = k * S + s;
      const double e = scale(i), p = sigmoid(zp[i]);
      inter += e * p * tp[i];
      psum += e * p;
      tsum += e * tp[i];
    }
    num[k] = 2 * inter + smooth;
    den[k] = psum + tsum + smooth;
    // A fully masked pair with smooth 0 is 0/0: it has nothing to score, so it scores 0.
    if (den[k] > 0) total += 1 - num[k] / den[k];
  }

  // d loss_k / d p_i = e_i (num_k - 2 t_i den_k) / den_k^2, and d p / d z = p (1 - p).
  LossResult r{float(total / double(pairs)), Tensor::empty(logits.shape())};
  float* g = r.grad.data();
  const int64_t n = logits.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = i / S;
    const double e = scale(i);
    if (e == 0 || den[k] <= 0) {
      g[i] = 0.f;
      continue;
    }
    const double p = sigmoid(zp[i]);
    const double dp = e * (num[k] - 2 * tp[i] * den[k]) / (den[k] * den[k]);
    g[i] = float(dp * p * (1 - p) / double(pairs));
  }
  return r;
}

}  // namespace tessera::cpu
