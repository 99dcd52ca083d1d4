#pragma once
// What the optimizers share: reading and checking settings, the SGD step.
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

// One SGD step of `p` (ops/update.hpp) with weight decay where the parameter takes it;
// `velocity` is the momentum buffer, nullptr for plain SGD.
void sgd_step(Param& p, const Tensor& grad, float lr, const SgdOptions& o, Tensor* velocity);

// Each optimizer's settings, checked, read next to where it writes them (config()).
SgdOptions read_sgd_options(const Settings& s);
AdamOptions read_adam_options(const Settings& s, bool decoupled);
KfacOptions read_kfac_options(const Settings& s);

}  // namespace tessera
