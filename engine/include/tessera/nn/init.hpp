#pragma once
// Seeded weight initialisation. Seeds are mixed per child so a model's weights depend only on
// its architecture and one seed.
#include <cstdint>

#include "tessera/tensor/tensor.hpp"

namespace tessera {

// N(0, sqrt(2 / fan_in)): keeps ReLU activations' variance through depth (He et al. 2015).
void he_normal(Tensor& w, int64_t fan_in, uint64_t seed);
// U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010).
void xavier_uniform(Tensor& w, int64_t fan_in, int64_t fan_out, uint64_t seed);
// Uniform in [-bound, bound].
void uniform_init(Tensor& w, float bound, uint64_t seed);
// A seed for child `index` of a module seeded with `seed` (splitmix64 of both).
uint64_t mix_seed(uint64_t seed, uint64_t index);

}  // namespace tessera
