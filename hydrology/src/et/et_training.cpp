#include "tessera/hydrology/et/et_training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

#include "tessera/hydrology/config.hpp"
#include "tessera/hydrology/et/closure_loss.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/init.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera::hydrology::et {

namespace fs = std::filesystem;

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

EtTrainingSettings model_settings(const Settings& s) {
  EtTrainingSettings m;
  s.only({"max_correction", "hidden", "members", "steps", "learning_rate", "weight_decay", "folds",
          "fold", "seed"});
  s.read("max_correction", m.max_correction);
  s.read("hidden", m.hidden);
  s.read("members", m.members);
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
  if (m.members < 1 || m.members > 100) s.fail("members", "must be 1 to 100");
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

// The training basin-months: those whose cells have the product and every input in all three
// months, and a finite target and sigma.
std::vector<ClosureSample> closure_samples(const EtData& d, const std::vector<size_t>& basins,
                                           const BasinShares& shares, const std::vector<float>& x,
                                           const std::vector<double>& et, size_t f) {
  const WaterBudget& w = d.budget;
  const size_t rows = size_t(w.months + 2);
  std::vector<ClosureSample> out;
  for (size_t i = 0; i < basins.size(); ++i)
    for (int64_t t = 0; t < w.months; ++t) {
      const double target = w.target(basins[i], t), sigma = w.sigma.at(basins[i], t);
      bool ok = std::isfinite(target) && std::isfinite(sigma) && sigma > 0 && !shares[i].empty();
      for (const auto& [cell, share] : shares[i])
        for (int k = 0; k < 3 && ok; ++k) {
          const size_t r = cell * rows + size_t(t + k);
          ok = row_ok(x, r, f) && std::isfinite(et[r]);
        }
      if (ok) out.push_back({.basin = i, .t = t, .target = target, .weight = 1 / (sigma * sigma)});
    }
  return out;
}

}  // namespace

namespace {

// The cells the training basins read, and those basins' shares renumbered onto them.
struct TrainingCells {
  std::vector<size_t> cells;  // into EtCells
  BasinShares shares;         // per training basin, local cell numbers
};

TrainingCells training_cells(const EtCells& c, const std::vector<size_t>& basins) {
  TrainingCells t;
  std::map<size_t, size_t> local;
  for (size_t b : basins) {
    std::vector<std::pair<size_t, double>> shares;
    for (const auto& [cell, share] : c.shares[b]) {
      const auto [it, added] = local.emplace(cell, t.cells.size());
      if (added) t.cells.push_back(cell);
      shares.emplace_back(it->second, share);
    }
    t.shares.push_back(std::move(shares));
  }
  return t;
}

// One member, full-batch Adam on the sum-aggregated closure loss.
std::unique_ptr<Module> train_member(const Tensor& input, const std::vector<double>& et,
                                     const BasinShares& shares,
                                     const std::vector<ClosureSample>& samples, int64_t months,
                                     const EtTrainingSettings& s, uint64_t seed,
                                     std::ostream* log) {
  auto net = make_correction_network(input.dim(1), s.hidden, seed);
  auto opt = make_adam({.weight_decay = float(s.weight_decay)});
  for (int64_t step = 0; step < s.steps; ++step) {
    const std::vector<float> y = net->forward(input, Mode::train).to_vector();
    const ClosureLoss loss = closure_loss(et, std::vector<double>(y.begin(), y.end()),
                                          s.max_correction, shares, months, samples);
    if (!std::isfinite(loss.value)) throw std::runtime_error("training diverged (loss not finite)");
    net->backward_one(Tensor::from_vector({input.dim(0), 1},
                                          std::vector<float>(loss.grad.begin(), loss.grad.end())));
    opt->step(net->parameters(), float(s.learning_rate));
    if (log && (step % 100 == 0 || step + 1 == s.steps))
      *log << "  step " << step + 1 << "/" << s.steps << "  closure RMS (weighted) "
           << std::sqrt(loss.value) << " mm/month\n";
  }
  return net;
}

}  // namespace

EtCorrectionModel train_et_model(const EtData& d, const std::vector<size_t>& basins,
                                 const EtTrainingSettings& s, std::ostream* log) {
  const WaterBudget& w = d.budget;
  const EtCells& c = d.cells;
  EtCorrectionModel m{.product = w.product, .inputs = d.inputs, .max_correction = s.max_correction};
  const TrainingCells tc = training_cells(c, basins);
  m.location = std::none_of(tc.cells.begin(), tc.cells.end(),
                            [&](size_t cell) { return std::isnan(c.lat[cell]); });
  const size_t f = size_t(feature_count(d.inputs.size(), m.location));
  const int64_t rows = w.months + 2;
  std::vector<float> x;
  std::vector<double> et;
  for (size_t cell : tc.cells) {
    const std::vector<float> r = cell_rows(d, cell, m.location);
    x.insert(x.end(), r.begin(), r.end());
    for (int64_t k = 0; k < rows; ++k) et.push_back(c.values[0].at(cell, k));
  }
  fit_normalisation(x, f, m);
  const std::vector<ClosureSample> samples = closure_samples(d, basins, tc.shares, x, et, f);
  if (samples.empty()) throw std::runtime_error("no training basin-month has every budget term");
  normalise_features(m, x);                          // rows missing an input are in no sample
  for (double& v : et) v = std::isnan(v) ? 0.0 : v;  // rows no sample reads

  const Tensor input = Tensor::from_vector({int64_t(et.size()), int64_t(f)}, x);
  std::vector<std::unique_ptr<Module>> members;
  for (int64_t k = 0; k < s.members; ++k) {
    if (log) *log << "member " << k + 1 << "/" << s.members << "\n";
    members.push_back(train_member(input, et, tc.shares, samples, w.months, s,
                                   mix_seed(s.seed, uint64_t(k)), log));
  }
  m.network = ensemble_of(std::move(members));
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
  const EtCells& c = d.cells;
  const size_t rows = size_t(w.months + 2);
  // Month by month, each a frame of the cells: a basin is the weighted mean of its cells that
  // have a value, as the budget took it.
  std::vector<std::vector<double>> frames(rows, std::vector<double>(c.lat.size()));
  for (size_t cell = 0; cell < c.lat.size(); ++cell) {
    const std::vector<double> factor = correction_factors(m, cell_rows(d, cell, m.location));
    for (size_t k = 0; k < rows; ++k)
      frames[k][cell] = c.values[0].at(cell, int64_t(k)) * (1 + factor[k]);
  }
  std::vector<double> out(w.basins.size() * rows);
  for (size_t b = 0; b < w.basins.size(); ++b) {
    const CellWeights basin{.cells = c.shares[b]};
    for (size_t k = 0; k < rows; ++k) out[b * rows + k] = weighted_mean(frames[k], basin);
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
