#pragma once
// What the optimizers share: reading and checking settings, the SGD update.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/io/settings.hpp"
#include "tessera/train/kfac.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera {

// The double that prints as the float's shortest decimal form, so a config written from
// momentum 0.9f reads 0.9 rather than 0.8999999761581421.
double json_number(float v);

// The plain gradient of `p`, checked against its value; undefined when there is none.
Tensor plain_grad(const Param& p);

// Throws unless lo <= v <= hi (v < hi when hi_open).
void check_range(const char* what, double v, double lo, double hi, bool hi_open);

// w -= lr * v, v = momentum * v + (grad + weight_decay * w) (Nesterov: the look-ahead form);
// `velocity` is the momentum buffer, nullptr for plain SGD.
void sgd_update(Param& p, const Tensor& grad, float lr, const SgdOptions& o, Tensor* velocity);

// The "kfac" config's settings, checked.
KfacOptions read_kfac_options(const nlohmann::json& config);

}  // namespace tessera
