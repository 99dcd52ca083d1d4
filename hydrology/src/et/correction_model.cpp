#include "tessera/hydrology/et/correction_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "tessera/io/checkpoint.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"

namespace tessera::hydrology::et {

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// Depths are skewed over orders of magnitude (a desert month to a monsoon one): log1p keeps
// arid and wet cells on one scale. Negative values (a product's dew, a reanalysis' artefact)
// count as none.
float depth_feature(double mm) {
  return std::isnan(mm) ? float(kMissing) : float(std::log1p(std::max(mm, 0.0)));
}

}  // namespace

int64_t feature_count(size_t inputs, bool location) {
  return int64_t(2 * inputs) + 2 + (location ? 3 : 0);
}

void cell_features(const double* values, const double* climate, size_t inputs, int month,
                   double lat, double lon, bool location, float* out) {
  for (size_t i = 0; i < inputs; ++i) {
    *out++ = depth_feature(values[i]);
    *out++ = depth_feature(climate[i]);
  }
  const double phase = 2 * M_PI * (month - 1) / 12.0;
  *out++ = float(std::sin(phase));
  *out++ = float(std::cos(phase));
  if (!location) return;
  *out++ = float(lat / 90);
  *out++ = float(std::sin(lon * M_PI / 180));
  *out++ = float(std::cos(lon * M_PI / 180));
}

std::unique_ptr<Module> make_correction_network(int64_t features, int64_t hidden, uint64_t seed) {
  auto net = std::make_unique<Sequential>();
  net->add(
      std::make_unique<Linear>(LinearOptions{.in_features = features, .out_features = hidden}));
  net->add(std::make_unique<Act>(Activation::tanh));
  net->add(std::make_unique<Linear>(LinearOptions{.in_features = hidden, .out_features = hidden}));
  net->add(std::make_unique<Act>(Activation::tanh));
  auto last = std::make_unique<Linear>(LinearOptions{.in_features = hidden, .out_features = 1});
  Linear& out = *last;
  net->add(std::move(last));
  net->initialize(seed);
  // An untrained model leaves the product as it is; training leans it only where closure asks.
  for (Param* p : {&out.kron_weight(), out.kron_bias()})
    std::fill(p->value.data(), p->value.data() + p->value.numel(), 0.f);
  return net;
}

std::unique_ptr<Module> ensemble_of(std::vector<std::unique_ptr<Module>> members) {
  auto g = std::make_unique<Graph>();
  std::vector<int> nodes;
  for (size_t k = 0; k < members.size(); ++k)
    nodes.push_back(g->add(std::move(members[k]), Graph::input, "member" + std::to_string(k)));
  g->add(std::make_unique<Concat>(1), nodes, "ensemble");
  return g;
}

std::vector<bool> normalise_features(const EtCorrectionModel& m, std::vector<float>& features) {
  const size_t f = m.mean.size();
  std::vector<bool> missing(features.size() / f, false);
  for (size_t r = 0; r < missing.size(); ++r)
    for (size_t j = 0; j < f; ++j) {
      float& v = features[r * f + j];
      missing[r] = missing[r] || std::isnan(v);
      v = std::isnan(v) ? 0.f : float((v - m.mean[j]) / m.scale[j]);
    }
  return missing;
}

std::vector<double> correction_factors(EtCorrectionModel& m, const std::vector<float>& features) {
  const size_t f = m.mean.size();
  const size_t rows = features.size() / f;
  std::vector<float> x = features;
  const std::vector<bool> missing = normalise_features(m, x);
  std::vector<double> out(rows, 0.0);
  if (rows == 0) return out;
  const Tensor y =
      m.network->forward(Tensor::from_vector({int64_t(rows), int64_t(f)}, x), Mode::eval);
  const size_t members = size_t(y.dim(1));
  const std::vector<float> v = y.to_vector();
  for (size_t r = 0; r < rows; ++r) {
    if (missing[r]) continue;
    for (size_t k = 0; k < members; ++k) out[r] += std::tanh(v[r * members + k]);
    out[r] *= m.max_correction / double(members);
  }
  return out;
}

void save_et_model(const std::string& path, EtCorrectionModel& m) {
  save_checkpoint(path, *m.network, nullptr, m.steps,
                  {{"task", "et_correction"},
                   {"product", m.product},
                   {"inputs", m.inputs},
                   {"location", m.location},
                   {"max_correction", m.max_correction},
                   {"feature_mean", m.mean},
                   {"feature_scale", m.scale},
                   {"training_basins", m.training_basins},
                   {"held_out_basins", m.held_out_basins},
                   {"config", m.config}});
}

EtCorrectionModel load_et_model(const std::string& path) {
  Checkpoint ck = load_task_checkpoint(
      path, "et_correction", "an ET correction model (train one with tessera hydrology train-et)");
  const Settings s(ck.metadata, "ET correction model " + path);
  EtCorrectionModel m;
  m.network = std::move(ck.model);
  m.steps = ck.step;
  m.product = s.require<std::string>("product");
  m.inputs = s.require<std::vector<std::string>>("inputs");
  m.location = s.require<bool>("location");
  m.max_correction = s.require<double>("max_correction");
  m.mean = s.require<std::vector<double>>("feature_mean");
  m.scale = s.require<std::vector<double>>("feature_scale");
  m.training_basins = s.require<std::vector<std::string>>("training_basins");
  m.held_out_basins = s.require<std::vector<std::string>>("held_out_basins");
  m.config = s.get("config", "");
  if (m.inputs.empty()) s.fail("inputs", "must name the product at least");
  if (int64_t(m.mean.size()) != feature_count(m.inputs.size(), m.location) ||
      m.scale.size() != m.mean.size())
    s.fail("feature_mean", "does not match the inputs");
  if (!(m.max_correction > 0 && m.max_correction < 1))
    s.fail("max_correction", "must be in (0, 1)");
  return m;
}

}  // namespace tessera::hydrology::et
