#include "tessera/hydrology/et/et_training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

#include "tessera/hydrology/config.hpp"
#include "tessera/hydrology/et/closure_loss.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera::hydrology::et {

namespace fs = std::filesystem;

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

EtTrainingSettings model_settings(const Settings& s) {
  EtTrainingSettings m;
  s.only({"max_correction", "hidden", "steps", "learning_rate", "weight_decay", "folds", "fold",
          "seed"});
  s.read("max_correction", m.max_correction);
  s.read("hidden", m.hidden);
  s.read("steps", m.steps);
  s.read("learning_rate", m.learning_rate);
  s.read("weight_decay", m.weight_decay);
  s.read("folds", m.folds);
  s.read("fold", m.fold);
  s.read("seed", m.seed);
  if (!(m.max_correction > 0 && m.max_correction < 1))
    s.fail("max_correction", "must be in (0, 1)");
  if (m.hidden < 1 || m.hidden > 4096) s.fail("hidden", "must be 1 to 4096");
  if (m.steps < 1) s.fail("steps", "must be at least 1");
  if (!(m.learning_rate > 0)) s.fail("learning_rate", "must be positive");
  if (!(m.weight_decay >= 0)) s.fail("weight_decay", "must be >= 0");
  if (m.folds < 2) s.fail("folds", "must be at least 2");
  if (m.fold < -1 || m.fold >= m.folds) s.fail("fold", "must be -1 (none) or 0 to folds - 1");
  return m;
}

}  // namespace

EtConfig read_et_config(const std::string& path) {
  const nlohmann::json j = read_config_document(path);
  const Settings s(j, "config " + path);
  std::vector<std::string> known = kBudgetKeys;
  for (const char* k : {"features", "towers", "model"}) known.push_back(k);
  s.only(known);
  const std::string folder = fs::path(path).parent_path().string();
  EtConfig c{.path = path, .budget = budget_config_from(s, folder)};
  c.budget.path = path;
  const Settings f = s.child("features");
  for (const auto& [name, value] : f.json().items()) {
    (void)value;
    c.features.emplace_back(name, basin_source_from(f, name, folder));
  }
  if (s.has("towers")) {
    const Settings t = s.child("towers");
    t.only({"series", "sites"});
    c.towers = {resolve(folder, t.require<std::string>("series")),
                resolve(folder, t.require<std::string>("sites"))};
  }
  c.model = model_settings(s.child("model"));
  return c;
}

EtData load_et_data(const EtConfig& config) {
  EtData d{.budget = load_water_budget(config.budget)};
  const WaterBudget& w = d.budget;
  d.inputs.push_back(w.product);
  d.values.push_back(w.evapotranspiration);
  for (const auto& [name, source] : config.features) {
    if (std::find(d.inputs.begin(), d.inputs.end(), name) != d.inputs.end())
      throw std::runtime_error("config " + config.path + ": features." + name +
                               ": named twice (the corrected product is " + w.product + ")");
    const BasinTable t = read_basin_source(source);
    BasinMonths m{.first = w.first - 1, .months = w.months + 2};
    for (size_t b = 0; b < w.basins.size(); ++b) {
      const int64_t row = t.index(w.basins[b]);
      for (int64_t k = 0; k < m.months; ++k)
        m.values.push_back(row < 0 ? kMissing : t.at(size_t(row), m.first + k));
    }
    d.inputs.push_back(name);
    d.values.push_back(std::move(m));
  }
  for (const BasinMonths& v : d.values) {
    std::vector<double> means;
    for (size_t b = 0; b < w.basins.size(); ++b) {
      double sum = 0;
      int64_t n = 0;
      for (int64_t k = 0; k < v.months; ++k)
        if (!std::isnan(v.at(b, k))) sum += v.at(b, k), ++n;
      means.push_back(n > 0 ? sum / double(n) : kMissing);
    }
    d.climate.push_back(std::move(means));
  }
  return d;
}

std::vector<int64_t> basin_folds(const std::vector<std::string>& basins, int64_t folds,
                                 uint64_t seed) {
  std::vector<size_t> order(basins.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return basins[a] < basins[b]; });
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int64_t> fold(basins.size());
  for (size_t i = 0; i < order.size(); ++i) fold[order[i]] = int64_t(i) % folds;
  return fold;
}

std::vector<float> basin_features(const EtData& data, size_t basin, bool location) {
  const WaterBudget& w = data.budget;
  const size_t n = data.inputs.size();
  const int64_t f = feature_count(n, location);
  std::vector<float> out(size_t((w.months + 2) * f));
  std::vector<double> values(n), climate(n);
  for (size_t i = 0; i < n; ++i) climate[i] = data.climate[i][basin];
  for (int64_t k = 0; k < w.months + 2; ++k) {
    for (size_t i = 0; i < n; ++i) values[i] = data.values[i].at(basin, k);
    cell_features(values.data(), climate.data(), n, calendar_month(w.first - 1 + k), w.lat[basin],
                  w.lon[basin], location, out.data() + size_t(k * f));
  }
  return out;
}

namespace {

bool row_ok(const std::vector<float>& x, size_t row, size_t f) {
  for (size_t j = 0; j < f; ++j)
    if (std::isnan(x[row * f + j])) return false;
  return true;
}

// Mean and spread of each feature over the rows that have them all.
void fit_normalisation(const std::vector<float>& x, size_t f, EtCorrectionModel& m) {
  m.mean.assign(f, 0.0);
  m.scale.assign(f, 0.0);
  size_t n = 0;
  for (size_t r = 0; r < x.size() / f; ++r) {
    if (!row_ok(x, r, f)) continue;
    ++n;
    for (size_t j = 0; j < f; ++j) m.mean[j] += x[r * f + j];
  }
  if (n == 0) throw std::runtime_error("no basin-month has every model input: nothing to train on");
  for (double& v : m.mean) v /= double(n);
  for (size_t r = 0; r < x.size() / f; ++r) {
    if (!row_ok(x, r, f)) continue;
    for (size_t j = 0; j < f; ++j) m.scale[j] += std::pow(x[r * f + j] - m.mean[j], 2);
  }
  // A constant feature (one basin's location) is left as it is rather than blown up.
  for (double& v : m.scale) v = std::max(std::sqrt(v / double(n)), 1e-3);
}

// The training basin-months: those whose three months have the product, every input and a
// finite target and sigma.
std::vector<ClosureSample> closure_samples(const EtData& d, const std::vector<size_t>& basins,
                                           const std::vector<float>& x, size_t f) {
  const WaterBudget& w = d.budget;
  std::vector<ClosureSample> out;
  for (size_t i = 0; i < basins.size(); ++i)
    for (int64_t t = 0; t < w.months; ++t) {
      const double target = w.target(basins[i], t), sigma = w.sigma.at(basins[i], t);
      bool ok = std::isfinite(target) && std::isfinite(sigma) && sigma > 0;
      for (int k = 0; k < 3 && ok; ++k) ok = row_ok(x, i * size_t(w.months + 2) + size_t(t + k), f);
      if (ok) out.push_back({.basin = i, .t = t, .target = target, .weight = 1 / (sigma * sigma)});
    }
  return out;
}

}  // namespace

EtCorrectionModel train_et_model(const EtData& d, const std::vector<size_t>& basins,
                                 const EtTrainingSettings& s, std::ostream* log) {
  const WaterBudget& w = d.budget;
  EtCorrectionModel m{.product = w.product, .inputs = d.inputs, .max_correction = s.max_correction};
  m.location =
      std::none_of(basins.begin(), basins.end(), [&](size_t b) { return std::isnan(w.lat[b]); });
  const size_t f = size_t(feature_count(d.inputs.size(), m.location));
  std::vector<float> x;
  std::vector<double> et;
  for (size_t b : basins) {
    const std::vector<float> rows = basin_features(d, b, m.location);
    x.insert(x.end(), rows.begin(), rows.end());
    for (int64_t k = 0; k < w.months + 2; ++k) et.push_back(w.evapotranspiration.at(b, k));
  }
  fit_normalisation(x, f, m);
  const std::vector<ClosureSample> samples = closure_samples(d, basins, x, f);
  if (samples.empty()) throw std::runtime_error("no training basin-month has every budget term");
  for (size_t r = 0; r < et.size(); ++r)
    for (size_t j = 0; j < f; ++j) {
      float& v = x[r * f + j];
      v = std::isnan(v) ? 0.f : float((v - m.mean[j]) / m.scale[j]);
    }
  for (double& v : et) v = std::isnan(v) ? 0.0 : v;  // rows no sample reads
  BasinShares shares(basins.size());
  for (size_t i = 0; i < basins.size(); ++i) shares[i] = {{i, 1.0}};

  m.network = make_correction_network(int64_t(f), s.hidden, s.seed);
  auto opt = make_adam({.weight_decay = float(s.weight_decay)});
  const Tensor input = Tensor::from_vector({int64_t(et.size()), int64_t(f)}, x);
  for (int64_t step = 0; step < s.steps; ++step) {
    const std::vector<float> y = m.network->forward(input, Mode::train).to_vector();
    const ClosureLoss loss = closure_loss(et, std::vector<double>(y.begin(), y.end()),
                                          s.max_correction, shares, w.months, samples);
    if (!std::isfinite(loss.value)) throw std::runtime_error("training diverged (loss not finite)");
    m.network->backward_one(Tensor::from_vector(
        {int64_t(et.size()), 1}, std::vector<float>(loss.grad.begin(), loss.grad.end())));
    opt->step(m.network->parameters(), float(s.learning_rate));
    if (log && (step % 100 == 0 || step + 1 == s.steps))
      *log << "step " << step + 1 << "/" << s.steps << "  closure RMS (weighted) "
           << std::sqrt(loss.value) << " mm/month\n";
  }
  m.steps = s.steps;
  for (size_t b : basins) m.training_basins.push_back(w.basins[b]);
  return m;
}

std::vector<double> corrected_et(EtCorrectionModel& m, const EtData& d) {
  if (m.inputs.size() != d.inputs.size())
    throw std::runtime_error("the model reads " + std::to_string(m.inputs.size()) +
                             " inputs, the config gives " + std::to_string(d.inputs.size()));
  for (size_t i = 1; i < m.inputs.size(); ++i)
    if (m.inputs[i] != d.inputs[i])
      throw std::runtime_error("the model reads feature " + m.inputs[i] +
                               " where the config gives " + d.inputs[i]);
  const WaterBudget& w = d.budget;
  std::vector<double> out;
  for (size_t b = 0; b < w.basins.size(); ++b) {
    const std::vector<double> o = correction_outputs(m, basin_features(d, b, m.location));
    for (int64_t k = 0; k < w.months + 2; ++k)
      out.push_back(w.evapotranspiration.at(b, k) *
                    (1 + correction_factor(o[size_t(k)], m.max_correction)));
  }
  return out;
}

std::array<double, 12> fit_monthly_factors(const WaterBudget& w,
                                           const std::vector<size_t>& basins) {
  std::array<double, 12> num{}, den{};
  for (size_t b : basins)
    for (int64_t t = 0; t < w.months; ++t) {
      const double e = w.filtered_et(b, t), target = w.target(b, t), sigma = w.sigma.at(b, t);
      if (!std::isfinite(e) || !std::isfinite(target) || !(sigma > 0)) continue;
      const int m = calendar_month(w.first + t) - 1;
      num[size_t(m)] += e * target / (sigma * sigma);
      den[size_t(m)] += e * e / (sigma * sigma);
    }
  std::array<double, 12> k{};
  for (size_t m = 0; m < 12; ++m) k[m] = den[m] > 0 ? num[m] / den[m] : 1.0;
  return k;
}

std::vector<double> apply_monthly_factors(const std::array<double, 12>& k, const WaterBudget& w) {
  std::vector<double> out;
  for (size_t b = 0; b < w.basins.size(); ++b)
    for (int64_t j = 0; j < w.months + 2; ++j)
      out.push_back(w.evapotranspiration.at(b, j) * k[size_t(calendar_month(w.first - 1 + j) - 1)]);
  return out;
}

}  // namespace tessera::hydrology::et
