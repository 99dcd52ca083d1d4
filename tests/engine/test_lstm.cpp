// The LSTM layer against a loop implementation of the equations, and its gradients against
// finite differences.
#include <cmath>

#include <gtest/gtest.h>

#include "gradcheck.hpp"
#include "tessera/model/registry.hpp"
#include "tessera/nn/layers.hpp"

namespace tessera {
namespace {

using testing::random_tensor;

double sigmoid(double z) {
  return 1 / (1 + std::exp(-z));
}

// h_t, c_t from the textbook equations, gates (i, f, c~, o); x [N,C,T] -> [N,H,T].
std::vector<double> reference_lstm(const Tensor& x, Lstm& m, int64_t hidden) {
  std::vector<Param*> p = m.parameters();  // w_input [C,4,H], w_recurrent [H,4,H], bias [4,H]
  const float* wi = p[0]->value.data();
  const float* wr = p[1]->value.data();
  const float* b = p[2]->value.data();
  const int64_t n = x.dim(0), c = x.dim(1), t = x.dim(2), hs = hidden;
  std::vector<double> out(size_t(n * hs * t));
  for (int64_t s = 0; s < n; ++s) {
    std::vector<double> h(size_t(hs), 0), cell(size_t(hs), 0);
    for (int64_t k = 0; k < t; ++k) {
      std::vector<double> gates(size_t(4 * hs));
      for (int64_t g = 0; g < 4 * hs; ++g) {
        double z = b[g];
        for (int64_t i = 0; i < c; ++i) z += wi[i * 4 * hs + g] * x.data()[(s * c + i) * t + k];
        for (int64_t j = 0; j < hs; ++j) z += wr[j * 4 * hs + g] * h[size_t(j)];
        gates[size_t(g)] = z;
      }
      for (int64_t j = 0; j < hs; ++j) {
        const double in = sigmoid(gates[size_t(j)]), f = sigmoid(gates[size_t(hs + j)]);
        const double cand = std::tanh(gates[size_t(2 * hs + j)]);
        const double o = sigmoid(gates[size_t(3 * hs + j)]);
        cell[size_t(j)] = f * cell[size_t(j)] + in * cand;
        h[size_t(j)] = o * std::tanh(cell[size_t(j)]);
        out[size_t((s * hs + j) * t + k)] = h[size_t(j)];
      }
    }
  }
  return out;
}

TEST(Lstm, MatchesTheEquations) {
  Lstm m({.input_size = 3, .hidden_size = 5, .return_sequence = true, .forget_bias = 1});
  m.initialize(7);
  const Tensor x = random_tensor({2, 3, 6}, 1);
  const std::vector<double> want = reference_lstm(x, m, 5);
  const std::vector<float> got = m.forward(x, Mode::eval).to_vector();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;

  Lstm last({.input_size = 3, .hidden_size = 5, .forget_bias = 1});
  last.initialize(7);
  const std::vector<float> y = last.forward(x, Mode::train).to_vector();  // [2,5]: step 6 only
  ASSERT_EQ(y.size(), 10u);
  for (int64_t s = 0; s < 2; ++s)
    for (int64_t j = 0; j < 5; ++j)
      EXPECT_NEAR(y[size_t(s * 5 + j)], want[size_t((s * 5 + j) * 6 + 5)], 1e-5);
}

TEST(Lstm, ForgetBiasIsSetOnTheForgetGateOnly) {
  Lstm m({.input_size = 2, .hidden_size = 3, .forget_bias = 3});
  const std::vector<float> b = m.parameters()[2]->value.to_vector();
  for (int g = 0; g < 4; ++g)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(b[size_t(g * 3 + j)], g == 1 ? 3.f : 0.f);
}

void check_gradients(bool sequence) {
  Lstm m({.input_size = 3, .hidden_size = 4, .return_sequence = sequence, .forget_bias = 1});
  m.initialize(3);
  Tensor x = random_tensor({2, 3, 5}, 2);
  const Shape y_shape = sequence ? Shape{2, 4, 5} : Shape{2, 4};
  const Tensor r = random_tensor(y_shape, 9);
  auto f = [&] { return testing::dot(m.forward(x, Mode::eval), r); };
  m.forward(x, Mode::train);
  const Tensor dx = m.backward_one(r);
  testing::expect_gradient_close("dx", x, dx, f, 1e-2, 1e-3, 1e-2);
  for (Param* p : m.parameters()) {
    m.forward(x, Mode::train);
    m.backward_one(r);
    const Tensor g = p->grad.clone();
    testing::expect_gradient_close(p->name, p->value, g, f, 1e-2, 1e-3, 1e-2);
  }
}

TEST(Lstm, LastStepGradientsMatchFiniteDifferences) {
  check_gradients(false);
}

TEST(Lstm, SequenceGradientsMatchFiniteDifferences) {
  check_gradients(true);
}

TEST(Lstm, ConfigRebuildsTheLayer) {
  Lstm m({.input_size = 2, .hidden_size = 3, .return_sequence = true, .forget_bias = 2});
  auto copy = make_module(m.config());
  EXPECT_EQ(copy->config(), m.config());
  EXPECT_EQ(copy->parameter_count(), m.parameter_count());
  EXPECT_EQ(m.parameter_count(), 2 * 12 + 3 * 12 + 12);
}

TEST(Lstm, RefusesAWrongInput) {
  Lstm m({.input_size = 2, .hidden_size = 3});
  EXPECT_THROW(m.forward(Tensor::zeros({1, 3, 4}), Mode::eval), std::invalid_argument);
  EXPECT_THROW(m.forward(Tensor::zeros({1, 2}), Mode::eval), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
