#include "tessera/nn/init.hpp"

#include <cmath>
#include <random>

namespace tessera {

uint64_t mix_seed(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void he_normal(Tensor& w, int64_t fan_in, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.f, std::sqrt(2.f / static_cast<float>(fan_in)));
  float* d = w.data();
  for (int64_t i = 0; i < w.numel(); ++i) d[i] = dist(rng);
}

void xavier_uniform(Tensor& w, int64_t fan_in, int64_t fan_out, uint64_t seed) {
  uniform_init(w, std::sqrt(6.f / static_cast<float>(fan_in + fan_out)), seed);
}

void uniform_init(Tensor& w, float bound, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-bound, bound);
  float* d = w.data();
  for (int64_t i = 0; i < w.numel(); ++i) d[i] = dist(rng);
}

}  // namespace tessera
