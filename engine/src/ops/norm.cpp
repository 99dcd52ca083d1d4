#include "tessera/ops/norm.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include "dispatch.hpp"

namespace tessera {
namespace {

void check_input(const std::string& what, const Tensor& x) {
  if (!x.defined()) throw std::invalid_argument(what + ": undefined input");
  if (x.ndim() < 2 || x.ndim() > 5)
    throw std::invalid_argument(what + ": input " + to_string(x.shape()) +
                                " must be [N,C] or [N,C,*S] with 1 to 3 spatial dims");
}

void check_vector(const std::string& what, const char* name, const Tensor& t, int64_t n) {
  if (!t.defined() || t.shape() != Shape{n})
    throw std::invalid_argument(what + ": " + name + " must have shape [" + std::to_string(n) +
                                "], got " + (t.defined() ? to_string(t.shape()) : "undefined"));
}

void check_same_shape(const std::string& what, const Tensor& x, const Tensor& dy) {
  if (!dy.defined() || dy.shape() != x.shape())
    throw std::invalid_argument(what + ": dy " +
                                (dy.defined() ? to_string(dy.shape()) : "undefined") +
                                " must have the shape of x " + to_string(x.shape()));
}

void check_statistics(const std::string& what, const Tensor& x, const Tensor& gamma,
                      const Tensor& beta, const Tensor& mean, const Tensor& variance) {
  for (auto [name, t] :
       {std::pair{"gamma", &gamma}, {"beta", &beta}, {"mean", &mean}, {"variance", &variance}})
    check_vector(what, name, *t, x.dim(1));
}

void check_groups(const std::string& what, const Tensor& x, int64_t groups) {
  check_input(what, x);
  if (groups < 1 || x.dim(1) % groups != 0)
    throw std::invalid_argument(what + ": " + std::to_string(x.dim(1)) + " channels of input " +
                                to_string(x.shape()) + " are not divisible into " +
                                std::to_string(groups) + " groups");
}

}  // namespace

NormStats batch_norm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                   float eps, bool relu) {
  const std::string what = "batch norm";
  check_input(what, x);
  check_vector(what, "gamma", gamma, x.dim(1));
  check_vector(what, "beta", beta, x.dim(1));
  return backend_of(what, x, gamma, beta)
      .batch_norm_forward_train(x, gamma, beta, eps, relu, Tensor(), Tensor());
}

NormStats batch_norm_forward_replay(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                    const Tensor& mean, const Tensor& variance, float eps,
                                    bool relu) {
  const std::string what = "batch norm (replay)";
  check_input(what, x);
  check_statistics(what, x, gamma, beta, mean, variance);
  return backend_of(what, x, gamma, beta, mean, variance)
      .batch_norm_forward_train(x, gamma, beta, eps, relu, mean, variance);
}

Tensor batch_norm_forward_infer(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                const Tensor& mean, const Tensor& variance, float eps, bool relu) {
  const std::string what = "batch norm (inference)";
  check_input(what, x);
  check_statistics(what, x, gamma, beta, mean, variance);
  return backend_of(what, x, gamma, beta, mean, variance)
      .batch_norm_forward_infer(x, gamma, beta, mean, variance, eps, relu);
}

NormGrads batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                              const Tensor& beta, const Tensor& mean, const Tensor& variance,
                              float eps, const Tensor& relu_mask) {
  const std::string what = "batch norm backward";
  check_input(what, x);
  check_same_shape(what, x, dy);
  check_statistics(what, x, gamma, beta, mean, variance);
  return backend_of(what, x, dy, gamma, beta, mean, variance, relu_mask)
      .batch_norm_backward(x, dy, gamma, beta, mean, variance, eps, relu_mask);
}

NormStats group_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                             int64_t groups, float eps) {
  const std::string what = "group norm";
  check_groups(what, x, groups);
  check_vector(what, "gamma", gamma, x.dim(1));
  check_vector(what, "beta", beta, x.dim(1));
  return backend_of(what, x, gamma, beta).group_norm_forward(x, gamma, beta, groups, eps);
}

NormGrads group_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                              const Tensor& mean, const Tensor& variance, int64_t groups,
                              float eps) {
  const std::string what = "group norm backward";
  check_groups(what, x, groups);
  check_same_shape(what, x, dy);
  check_vector(what, "gamma", gamma, x.dim(1));
  check_vector(what, "mean", mean, x.dim(0) * groups);
  check_vector(what, "variance", variance, x.dim(0) * groups);
  return backend_of(what, x, dy, gamma, mean, variance)
      .group_norm_backward(x, dy, gamma, mean, variance, groups, eps);
}

}  // namespace tessera
