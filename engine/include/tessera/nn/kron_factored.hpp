#pragma once
// A layer whose Fisher block K-FAC approximates as A kron G (ops/kron_factors.hpp): linear
// layers and ungrouped convolutions. The optimizer asks it to record the factors of a batch
// during backward, on the steps that update them.
#include "tessera/nn/param.hpp"

namespace tessera {

struct KronFactors {
  Tensor a;  // [D, D], D = the weight's fan-in (+1 with a bias)
  Tensor g;  // [Co, Co]
};

class KroneckerFactored {
 public:
  virtual ~KroneckerFactored() = default;
  // False for layers of a kind K-FAC has no factors for (grouped or transposed convolution):
  // the optimizer gives them the first-order update.
  virtual bool has_kron_factors() const = 0;
  virtual Param& kron_weight() = 0;
  virtual Param* kron_bias() = 0;  // nullptr without a bias

  // While on, each backward replaces factors() with its batch's factors.
  void record_factors(bool on) { record_ = on; }
  // The factors of the last backward that recorded them (undefined before). Taken, not copied.
  KronFactors take_factors() { return std::move(factors_); }

 protected:
  bool record_ = false;
  KronFactors factors_;
};

}  // namespace tessera
