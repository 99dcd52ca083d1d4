#include "tessera/hydrology/et/et_workflow.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "tessera/formats/line_plot.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"

namespace tessera::hydrology::et {

namespace fs = std::filesystem;

namespace {

std::string or_sibling(const std::string& given, const std::string& output, const char* ext) {
  return given.empty() ? fs::path(output).replace_extension(ext).string() : given;
}

// Every file a config reads, for the check that no output lands on one.
std::vector<NamedPath> files_read(const EtConfig& c) {
  std::vector<NamedPath> out = {{"config", c.path}};
  const BudgetConfig& b = c.budget;
  for (const BasinSource* s :
       {&b.evapotranspiration, &b.precipitation, &b.runoff, &b.storage, &b.storage_uncertainty}) {
    out.push_back({"config", s->table});
    out.push_back({"config", s->grid});
    out.push_back({"config", s->basins});
  }
  for (const auto& [name, s] : c.features)
    out.push_back({"config", s.table.empty() ? s.grid : s.table});
  out.push_back({"config", b.basin_cells});
  out.push_back({"config", c.towers.series});
  out.push_back({"config", c.towers.sites});
  return out;
}

std::vector<size_t> basins_where(const std::vector<int64_t>& fold, bool held_out, int64_t k) {
  std::vector<size_t> out;
  for (size_t b = 0; b < fold.size(); ++b)
    if ((fold[b] == k) == held_out) out.push_back(b);
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

ClosureReport closure_to_files(const ClosureRequest& r) {
  const EtConfig c = read_et_config(r.config);
  ClosureReport rep;
  const std::string md = or_sibling(r.markdown, r.output, ".md");
  const std::string png = or_sibling(r.plot, r.output, ".png");
  std::vector<NamedPath> inputs = files_read(c);
  check_outputs_spare_inputs(
      {.inputs = inputs, .output_files = {{"output", r.output}, {"markdown", md}, {"plot", png}}});
  const WaterBudget w = load_water_budget(c.budget);
  nlohmann::json basins = nlohmann::json::array();
  std::vector<std::pair<double, std::string>> means;
  double sum = 0, sum2 = 0;
  int64_t n = 0;
  for (size_t b = 0; b < w.basins.size(); ++b) {
    double bs = 0, bs2 = 0;
    int64_t bn = 0;
    for (int64_t t = 0; t < w.months; ++t) {
      const double e = w.residual(b, t);
      if (!std::isfinite(e)) continue;
      bs += e, bs2 += e * e, ++bn;
    }
    sum += bs, sum2 += bs2, n += bn;
    if (bn == 0) continue;
    basins.push_back({{"basin", w.basins[b]},
                      {"months", bn},
                      {"mean_residual_mm", bs / double(bn)},
                      {"rms_residual_mm", std::sqrt(bs2 / double(bn))}});
    means.emplace_back(bs / double(bn), w.basins[b]);
  }
  if (n == 0) throw std::runtime_error("no basin-month has every budget term: nothing to close");
  const double mean = sum / double(n), rms = std::sqrt(sum2 / double(n));
  const nlohmann::json j = {{"product", w.product},
                            {"first_month", format_month(w.first)},
                            {"last_month", format_month(w.first + w.months - 1)},
                            {"basins", basins.size()},
                            {"basin_months", n},
                            {"mean_residual_mm", mean},
                            {"rms_residual_mm", rms},
                            {"per_basin", basins}};
  std::sort(means.begin(), means.end());
  std::ostringstream o;
  o << "# Water-budget closure: P - ET - R - dS/dt with ET from " << w.product << "\n\n"
    << format_month(w.first) << " to " << format_month(w.first + w.months - 1) << ", "
    << basins.size() << " basins, " << n << " basin-months: mean residual " << mean
    << " mm/month, RMS " << rms
    << " mm/month.\n\n| basin | mean residual (mm/month) |\n|---|---|\n";
  for (size_t i = 0; i < means.size(); ++i)
    if (i < 5 || i + 5 >= means.size())
      o << "| " << means[i].second << " | " << means[i].first << " |\n";
  rep.markdown = o.str();
  LinePlot plot{.title = "Mean budget residual per basin, " + w.product,
                .x_label = "basin (sorted)",
                .y_label = "P - ET - R - dS (mm/month)",
                .h_lines = {0.0}};
  LineSeries s{.name = "mean residual"};
  for (size_t i = 0; i < means.size(); ++i) s.x.push_back(double(i)), s.y.push_back(means[i].first);
  plot.series.push_back(std::move(s));
  write_atomically(r.output, j.dump(2) + "\n");
  write_atomically(md, rep.markdown);
  write_line_plot(png, plot);
  rep.files = {r.output, md, png};
  return rep;
}

EtTrainingReport train_et_to_file(const EtTrainingRequest& r) {
  EtConfig c = read_et_config(r.config);
  if (r.fold) c.model.fold = *r.fold;
  if (c.model.fold < -1 || c.model.fold >= c.model.folds)
    throw SettingError(
        "fold", "must be -1 (train on every basin) or 0 to " + std::to_string(c.model.folds - 1));
  std::vector<NamedPath> inputs = files_read(c);
  check_outputs_spare_inputs({.inputs = inputs, .output_files = {{"output", r.output}}});
  const auto start = std::chrono::steady_clock::now();
  const EtData d = load_et_data(c);
  const std::vector<int64_t> fold = basin_folds(d.budget.basins, c.model.folds, c.model.seed);
  const std::vector<size_t> train = basins_where(fold, false, c.model.fold);
  const std::vector<size_t> held = basins_where(fold, true, c.model.fold);
  if (r.log)
    *r.log << "training on " << train.size() << " basins, " << held.size() << " held out, "
           << d.inputs.size() << " inputs, " << format_month(d.budget.first) << " to "
           << format_month(d.budget.first + d.budget.months - 1) << "\n";
  EtCorrectionModel m = train_et_model(d, train, c.model, r.log);
  for (size_t b : held) m.held_out_basins.push_back(d.budget.basins[b]);
  m.config = fs::absolute(c.path).lexically_normal().string();
  EtTrainingReport rep{.training_basins = int64_t(train.size()),
                       .held_out_basins = int64_t(held.size())};
  if (!held.empty())
    rep.held_out = score_closure("network", d.budget, corrected_et(m, d), held, Towers{});
  save_et_model(r.output, m);
  rep.seconds = seconds_since(start);
  return rep;
}

namespace {

// Scores of the product as it is, the monthly factors and the network on `held` basins, each
// corrected by models that never saw them.
struct HeldOut {
  std::vector<size_t> basins{};
  std::vector<double> factors{}, network{};  // corrected products, [basin][month + 1]
};

void take_rows(const std::vector<double>& from, const std::vector<size_t>& basins, size_t row,
               std::vector<double>& to) {
  for (size_t b : basins)
    std::copy_n(from.begin() + std::ptrdiff_t(b * row), row, to.begin() + std::ptrdiff_t(b * row));
}

EtEvaluationReport score_held_out(const EtData& d, const HeldOut& h, const Towers& towers) {
  EtEvaluationReport rep;
  const WaterBudget& w = d.budget;
  rep.rows.push_back(
      score_closure("product as it is", w, w.evapotranspiration.values, h.basins, towers));
  rep.rows.push_back(score_closure("monthly factors (baseline)", w, h.factors, h.basins, towers));
  rep.rows.push_back(score_closure("network", w, h.network, h.basins, towers));
  return rep;
}

}  // namespace

EtEvaluationReport evaluate_et_to_files(const EtEvaluationRequest& r) {
  const std::string md = or_sibling(r.markdown, r.output, ".md");
  std::optional<EtCorrectionModel> model;
  if (r.folds == 0) {
    if (r.model.empty()) throw SettingError("model", "give a model, or folds to cross-validate");
    model = load_et_model(r.model);
  } else if (r.config.empty()) {
    throw SettingError("config", "cross-validation needs the config to train from");
  }
  const std::string config_path = r.config.empty() ? model->config : r.config;
  if (!fs::exists(config_path))
    throw SettingError("config", "the model's config " + config_path + " is gone: give one");
  EtConfig c = read_et_config(config_path);
  std::vector<NamedPath> inputs = files_read(c);
  inputs.push_back({"model", r.model});
  check_outputs_spare_inputs(
      {.inputs = inputs, .output_files = {{"output", r.output}, {"markdown", md}}});
  const EtData d = load_et_data(c);
  const Towers towers = read_towers(c.towers);
  const WaterBudget& w = d.budget;
  const size_t row = size_t(w.months + 2);
  HeldOut h{.factors = w.evapotranspiration.values, .network = w.evapotranspiration.values};
  const auto start = std::chrono::steady_clock::now();
  if (model) {
    const std::set<std::string> trained(model->training_basins.begin(),
                                        model->training_basins.end());
    const std::set<std::string> held(model->held_out_basins.begin(), model->held_out_basins.end());
    std::vector<size_t> train;
    for (size_t b = 0; b < w.basins.size(); ++b) {
      // Never score a basin the model trained on, whatever the config's fold says.
      if (held.count(w.basins[b]) && !trained.count(w.basins[b])) h.basins.push_back(b);
      if (trained.count(w.basins[b])) train.push_back(b);
    }
    if (h.basins.empty())
      throw std::runtime_error("the model was trained on every basin of " + config_path +
                               ": nothing is held out to score (train it with a fold)");
    take_rows(apply_monthly_factors(fit_monthly_factors(w, train), w), h.basins, row, h.factors);
    take_rows(corrected_et(*model, d), h.basins, row, h.network);
  } else {
    const std::vector<int64_t> fold = basin_folds(w.basins, r.folds, c.model.seed);
    for (int64_t k = 0; k < r.folds; ++k) {
      const std::vector<size_t> train = basins_where(fold, false, k);
      const std::vector<size_t> held = basins_where(fold, true, k);
      if (r.log)
        *r.log << "fold " << k + 1 << "/" << r.folds << ": " << held.size() << " basins held out\n";
      EtCorrectionModel m = train_et_model(d, train, c.model, nullptr);
      take_rows(apply_monthly_factors(fit_monthly_factors(w, train), w), held, row, h.factors);
      take_rows(corrected_et(m, d), held, row, h.network);
      h.basins.insert(h.basins.end(), held.begin(), held.end());
    }
  }
  EtEvaluationReport rep = score_held_out(d, h, towers);
  rep.training_seconds = seconds_since(start);
  std::ostringstream o;
  o << "# ET correction by water-budget closure: " << w.product << "\n\n"
    << (model ? "Basins the model " + r.model + " held out"
              : std::to_string(r.folds) +
                    "-fold cross-validation by basin, every basin scored by a model that never saw "
                    "it")
    << "; " << format_month(w.first) << " to " << format_month(w.first + w.months - 1) << ".\n\n"
    << scores_markdown(rep.rows);
  rep.markdown = o.str();
  nlohmann::json j = {{"product", w.product},
                      {"mode", model ? "held-out basins of a model" : "cross-validation"},
                      {"folds", r.folds},
                      {"training_seconds", rep.training_seconds},
                      {"scores", nlohmann::json::array()}};
  for (const ClosureScores& s : rep.rows) j["scores"].push_back(scores_json(s));
  write_atomically(r.output, j.dump(2) + "\n");
  write_atomically(md, rep.markdown);
  rep.files = {r.output, md};
  return rep;
}

}  // namespace tessera::hydrology::et
