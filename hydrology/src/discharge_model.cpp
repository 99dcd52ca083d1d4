#include "tessera/hydrology/discharge_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

#include "tessera/hydrology/metrics.hpp"
#include "tessera/hydrology/units.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/init.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::hydrology {
namespace {

constexpr const char* kKind = "tessera.hydrology.discharge";
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Every input variable as two channels over the whole series: normalised value (0 where
// missing) and missing flag. Built once; windows are cut from it.
struct InputMatrix {
  Day first = 0;
  int64_t days = 0, channels = 0;
  std::vector<float> data;  // [channel][day]
};

InputMatrix input_matrix(const DailySeries& s, const std::vector<std::string>& inputs,
                         const Normalisation& norm) {
  InputMatrix m{s.first, s.days, 2 * int64_t(inputs.size()), {}};
  m.data.assign(size_t(m.channels * m.days), 0.f);
  for (size_t k = 0; k < inputs.size(); ++k) {
    const std::vector<double>& v = s.at(inputs[k]);
    float* value = m.data.data() + 2 * k * size_t(m.days);
    float* missing = value + m.days;
    for (int64_t d = 0; d < m.days; ++d) {
      const double x = v[size_t(d)];
      if (std::isnan(x))
        missing[d] = 1.f;
      else
        value[d] = float((x - norm.mean[k]) / norm.sd[k]);
    }
  }
  return m;
}

// [B, channels, T]: the windows of T days ending on each issue day; days outside the series
// are missing.
Tensor input_windows(const InputMatrix& m, const Day* issues, int64_t count, int64_t steps) {
  Tensor x = Tensor::zeros({count, m.channels, steps});
  float* out = x.data();
  for (int64_t b = 0; b < count; ++b) {
    const Day start = issues[b] - steps + 1;
    for (int64_t c = 0; c < m.channels; ++c) {
      float* row = out + (b * m.channels + c) * steps;
      const bool flag = c % 2 == 1;
      for (int64_t t = 0; t < steps; ++t) {
        const int64_t d = start + t - m.first;
        row[t] = d >= 0 && d < m.days ? m.data[size_t(c * m.days + d)] : (flag ? 1.f : 0.f);
      }
    }
  }
  return x;
}

std::pair<double, double> mean_and_sd(const std::vector<double>& v, Day first, const Period& p) {
  double sum = 0, sq = 0, n = 0;
  for (Day d = p.first; d <= p.last; ++d) {
    const double x = value_on(v, first, d);
    if (std::isnan(x)) continue;
    sum += x, sq += x * x, n += 1;
  }
  if (n < 2) return {n > 0 ? sum / n : 0, 1};
  const double mean = sum / n, var = std::max(0.0, sq / n - mean * mean);
  return {mean, var > 1e-12 ? std::sqrt(var) : 1};  // a constant input only shifts
}

Normalisation normalisation(const HydrologyConfig& c, const DailySeries& s,
                            const std::vector<std::string>& inputs) {
  Normalisation n;
  for (const std::string& name : inputs) {
    const auto [mean, sd] = mean_and_sd(s.at(name), s.first, c.train);
    n.mean.push_back(mean), n.sd.push_back(sd);
  }
  std::tie(n.target_mean, n.target_sd) = mean_and_sd(s.at(c.discharge), s.first, c.train);
  return n;
}

std::unique_ptr<Module> build_network(const ModelSettings& o, int64_t channels, int64_t leads) {
  auto g = std::make_unique<Graph>();
  std::vector<int> members;
  for (int64_t k = 0; k < o.ensemble; ++k) {
    auto member = std::make_unique<Sequential>();
    member->add(std::make_unique<Lstm>(LstmOptions{
        .input_size = channels, .hidden_size = o.hidden, .forget_bias = float(o.forget_bias)}));
    if (o.dropout > 0)
      member->add(std::make_unique<Dropout>(float(o.dropout), mix_seed(o.seed, 100 + k)));
    member->add(
        std::make_unique<Linear>(LinearOptions{.in_features = o.hidden, .out_features = leads}));
    members.push_back(g->add(std::move(member), Graph::input, "member" + std::to_string(k)));
  }
  g->add(std::make_unique<Concat>(1), members, "ensemble");
  g->initialize(o.seed);
  return g;
}

// Normalised outputs [issue][member * lead] for every issue day, in batches.
std::vector<float> run_network(Module& net, const InputMatrix& m, const std::vector<Day>& issues,
                               int64_t steps, int64_t batch) {
  std::vector<float> out;
  for (size_t i = 0; i < issues.size(); i += size_t(batch)) {
    const int64_t n = std::min<int64_t>(batch, int64_t(issues.size() - i));
    const Tensor y = net.forward(input_windows(m, issues.data() + i, n, steps), Mode::eval);
    const std::vector<float> v = y.to_vector();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

// What the network's output is relative to, per issue day. Forecasting: the latest discharge
// observed within the window (the issue day's when there is one), so an output of 0 is
// persistence and the network learns the change; the training mean when none was observed.
// Simulation: the training mean.
double anchor(const DischargeModel& m, const std::vector<double>& q, Day first, Day issue) {
  if (m.config.mode == RunMode::forecasting)
    for (Day d = issue; d > issue - m.config.model.sequence_length; --d) {
      const double v = value_on(q, first, d);
      if (!std::isnan(v)) return v;
    }
  return m.norm.target_mean;
}

EnsembleForecast to_forecast(const DischargeModel& m, const DailySeries& s,
                             const std::vector<Day>& issues, const std::vector<float>& raw) {
  EnsembleForecast f{issues, m.config.lead_times, m.config.model.ensemble, {}};
  f.values.resize(raw.size());
  const std::vector<double>& q = s.at(m.config.discharge);
  const size_t per_issue = raw.size() / std::max<size_t>(1, issues.size());
  for (size_t i = 0; i < issues.size(); ++i) {
    const double a = anchor(m, q, s.first, issues[i]);
    for (size_t k = 0; k < per_issue; ++k) {  // discharge is never negative
      const size_t j = i * per_issue + k;
      f.values[j] = std::max(0.0, a + raw[j] * m.norm.target_sd);
    }
  }
  return f;
}

// Issue days whose targets (issue + some lead) fall in `p` and whose discharge is observed.
std::vector<Day> issue_days_for(const HydrologyConfig& c, const DailySeries& s, const Period& p) {
  const std::vector<double>& q = s.at(c.discharge);
  std::vector<Day> days;
  const int64_t lo = *std::min_element(c.lead_times.begin(), c.lead_times.end());
  const int64_t hi = *std::max_element(c.lead_times.begin(), c.lead_times.end());
  for (Day t = p.first - hi; t <= p.last - lo; ++t) {
    bool any = false;
    for (int64_t l : c.lead_times)
      any = any || (p.contains(t + l) && !std::isnan(value_on(q, s.first, t + l)));
    if (any) days.push_back(t);
  }
  return days;
}

// Ensemble-mean NSE per lead over the targets inside `p`, averaged over leads.
double mean_nse(const HydrologyConfig& c, const DailySeries& s, const Period& p,
                const EnsembleForecast& f) {
  const std::vector<double>& q = s.at(c.discharge);
  double total = 0;
  for (size_t l = 0; l < f.leads.size(); ++l) {
    std::vector<double> sim, obs;
    for (size_t i = 0; i < f.issue_days.size(); ++i) {
      const Day target = f.issue_days[i] + f.leads[l];
      if (!p.contains(target)) continue;
      sim.push_back(f.mean(i, l));
      obs.push_back(value_on(q, s.first, target));
    }
    total += skill_scores(sim, obs).nse;
  }
  return total / double(f.leads.size());
}

// Training needs discharge to learn from and validation discharge that varies, or no epoch
// could be told from another.
void require_scorable(const HydrologyConfig& c, const DailySeries& s, const Period& p,
                      const std::string& name) {
  const std::vector<double>& q = s.at(c.discharge);
  double lo = INFINITY, hi = -INFINITY;
  int64_t n = 0;
  for (Day d = p.first; d <= p.last; ++d) {
    const double v = value_on(q, s.first, d);
    if (std::isnan(v)) continue;
    lo = std::min(lo, v), hi = std::max(hi, v), ++n;
  }
  if (n < 2 || !(hi > lo))
    throw std::runtime_error(c.path + ": the " + name + " period " + format_date(p.first) + " to " +
                             format_date(p.last) + " has " + std::to_string(n) +
                             " days of observed discharge" + (n >= 2 ? ", all equal" : "") +
                             "; it needs at least 2 that differ");
}

struct Targets {
  Tensor value, mask;  // [B, members * leads]: discharge less the anchor over the training
                       // standard deviation, and 1 where observed and drawn for the member
};

// Each member learns from its own random share of every batch (kBagged of it), as in bagging:
// members that differ only in their initial weights agree too closely for their spread to
// mean much.
constexpr double kBagged = 0.75;

Targets targets_for(const DischargeModel& m, const DailySeries& s, const Day* issues, int64_t count,
                    std::mt19937_64& rng) {
  std::bernoulli_distribution drawn(kBagged);
  const HydrologyConfig& c = m.config;
  const std::vector<double>& q = s.at(c.discharge);
  const int64_t leads = int64_t(c.lead_times.size()), members = c.model.ensemble;
  Targets t{Tensor::zeros({count, members * leads}), Tensor::zeros({count, members * leads})};
  for (int64_t b = 0; b < count; ++b) {
    const double a = anchor(m, q, s.first, issues[b]);
    std::vector<bool> member_draws(size_t(members), true);  // one member alone learns from all
    if (members > 1)
      for (int64_t k = 0; k < members; ++k) member_draws[size_t(k)] = drawn(rng);
    for (int64_t l = 0; l < leads; ++l) {
      const Day day = issues[b] + c.lead_times[size_t(l)];
      const double v = c.train.contains(day) ? value_on(q, s.first, day) : kNaN;
      if (std::isnan(v)) continue;
      for (int64_t k = 0; k < members; ++k) {
        const int64_t i = b * members * leads + k * leads + l;
        t.value.data()[i] = float((v - a) / m.norm.target_sd);
        t.mask.data()[i] = member_draws[size_t(k)] ? 1.f : 0.f;
      }
    }
  }
  return t;
}

// The model's inputs of `s`, in the units of the training data: normalisation statistics are
// in those units.
DailySeries in_model_units(const DischargeModel& m, const DailySeries& s) {
  DailySeries out{s.first, s.days, {}};
  for (size_t k = 0; k < m.inputs.size(); ++k) {
    const std::string& name = m.inputs[k];
    if (!s.has(name)) throw std::runtime_error("the data lacks the model's input '" + name + "'");
    Variable v = s.variable(name);
    const std::string& want = k < m.input_units.size() ? m.input_units[k] : "";
    try {
      if (!want.empty() && !v.units.empty() && v.units != want) convert_units(v, want);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error("input '" + name + "' is in " + v.units +
                               " but the model was trained on " + want + ": " + e.what());
    }
    out.variables[name] = std::move(v);
  }
  return out;
}

std::vector<Tensor> copy_weights(Module& net) {
  std::vector<Tensor> w;
  for (Param* p : net.parameters()) w.push_back(p->value.clone());
  return w;
}

void restore_weights(Module& net, const std::vector<Tensor>& w) {
  std::vector<Param*> ps = net.parameters();
  for (size_t i = 0; i < ps.size(); ++i) ps[i]->value.copy_from(w[i]);
}

// Epochs as the training loop's steps: each epoch shuffles the training days and takes them a
// batch per step; the validation after each epoch keeps the best weights and stops after
// `patience` epochs without improvement. Everything a resumed run needs is in state().
class EpochTraining {
 public:
  EpochTraining(DischargeModel& m, Optimizer& opt, const InputMatrix& inputs, const DailySeries& s,
                std::vector<Day> samples, std::vector<Day> validation,
                const std::function<void(const EpochReport&)>& progress)
      : m_(m),
        opt_(opt),
        inputs_(inputs),
        s_(s),
        samples_(std::move(samples)),
        validation_(std::move(validation)),
        progress_(progress),
        rng_(m.config.model.seed) {
    const ModelSettings& o = m.config.model;
    per_epoch_days_ = o.samples_per_epoch > 0
                          ? std::min<int64_t>(o.samples_per_epoch, int64_t(samples_.size()))
                          : int64_t(samples_.size());
    batches_ = (per_epoch_days_ + o.batch - 1) / o.batch;
  }

  int64_t steps_per_epoch() const { return batches_; }

  float step(int64_t step, float lr) {
    const ModelSettings& o = m_.config.model;
    const int64_t i = step % batches_ * o.batch;
    if (i == 0) {
      std::shuffle(samples_.begin(), samples_.end(), rng_);
      loss_sum_ = 0;
      epoch_start_ = std::chrono::steady_clock::now();
    }
    const int64_t b = std::min(o.batch, per_epoch_days_ - i);
    const Tensor x = input_windows(inputs_, samples_.data() + i, b, o.sequence_length);
    const Targets t = targets_for(m_, s_, samples_.data() + i, b, rng_);
    const float loss = train_step(*m_.network, opt_, lr, x, [&](const Tensor& y) {
      return mse_loss(y, t.value, {.mask = t.mask});
    });
    loss_sum_ += loss;
    return loss;
  }

  Validation validate() {
    const HydrologyConfig& c = m_.config;
    const int epoch = ++epoch_;
    EpochReport r{epoch, loss_sum_ / double(batches_), 0, false, 0};
    const auto raw =
        run_network(*m_.network, inputs_, validation_, c.model.sequence_length, c.model.batch);
    r.validation_nse = mean_nse(c, s_, c.validation, to_forecast(m_, s_, validation_, raw));
    r.kept = r.validation_nse > best_nse_ || best_.empty();
    if (r.kept) {
      best_ = copy_weights(*m_.network), best_nse_ = r.validation_nse, m_.epochs = epoch;
      since_best_ = 0;
    } else {
      ++since_best_;
    }
    r.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start_).count();
    if (progress_) progress_(r);
    return {r.validation_nse, since_best_ >= c.model.patience};
  }

  TaskState state() const {
    TaskState st{{{"rng", rng_text(rng_)},
                  {"samples", samples_},
                  {"loss_sum", loss_sum_},
                  {"epoch", epoch_},
                  {"kept_epoch", m_.epochs},
                  {"best_nse", best_.empty() ? nlohmann::json(nullptr) : nlohmann::json(best_nse_)},
                  {"since_best", since_best_}}};
    for (size_t i = 0; i < best_.size(); ++i) st.tensors["best/" + std::to_string(i)] = best_[i];
    return st;
  }

  void restore(const TaskState& st) {
    const nlohmann::json& d = st.data;
    restore_rng(rng_, d.at("rng"));
    samples_ = d.at("samples").get<std::vector<Day>>();
    loss_sum_ = d.at("loss_sum").get<double>();
    epoch_ = d.at("epoch").get<int>();
    m_.epochs = d.at("kept_epoch").get<int>();
    since_best_ = d.at("since_best").get<int>();
    best_.clear();
    if (!d.at("best_nse").is_null()) {
      best_nse_ = d.at("best_nse").get<double>();
      for (size_t i = 0; i < m_.network->parameters().size(); ++i)
        best_.push_back(st.tensors.at("best/" + std::to_string(i)));
    }
    epoch_start_ = std::chrono::steady_clock::now();
  }

  // The best epoch's weights into the network; their validation NSE.
  double keep_best() {
    if (!best_.empty()) restore_weights(*m_.network, best_);
    return best_nse_;
  }

 private:
  DischargeModel& m_;
  Optimizer& opt_;
  const InputMatrix& inputs_;
  const DailySeries& s_;
  std::vector<Day> samples_, validation_;
  const std::function<void(const EpochReport&)>& progress_;
  std::mt19937_64 rng_;
  int64_t per_epoch_days_ = 0, batches_ = 1;
  double loss_sum_ = 0;
  int epoch_ = 0, since_best_ = 0;
  std::vector<Tensor> best_;
  double best_nse_ = -std::numeric_limits<double>::infinity();
  std::chrono::steady_clock::time_point epoch_start_ = std::chrono::steady_clock::now();
};

}  // namespace

std::vector<std::string> model_inputs(const HydrologyConfig& c) {
  std::vector<std::string> v = c.forcings;
  if (c.mode == RunMode::forecasting && std::find(v.begin(), v.end(), c.discharge) == v.end())
    v.push_back(c.discharge);
  if (c.mode == RunMode::simulation && std::find(v.begin(), v.end(), c.discharge) != v.end())
    throw std::runtime_error(c.path + ": simulation mode cannot read the discharge '" +
                             c.discharge + "' as a forcing");
  return v;
}

double EnsembleForecast::mean(size_t issue, size_t lead) const {
  double s = 0;
  for (int64_t k = 0; k < members; ++k) s += at(issue, k, lead);
  return s / double(members);
}

double EnsembleForecast::quantile(size_t issue, size_t lead, double q) const {
  std::vector<double> v;
  for (int64_t k = 0; k < members; ++k) v.push_back(at(issue, k, lead));
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * double(v.size() - 1);
  const size_t lo = size_t(pos), hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

DischargeModel train_discharge_model(const HydrologyConfig& c, const DailySeries& s,
                                     const std::function<void(const EpochReport&)>& progress,
                                     const RunSettings& run) {
  DischargeModel m;
  m.config = c;
  m.inputs = model_inputs(c);
  for (const std::string& name : m.inputs) m.input_units.push_back(s.variable(name).units);
  m.norm = normalisation(c, s, m.inputs);
  m.network = build_network(c.model, 2 * int64_t(m.inputs.size()), int64_t(c.lead_times.size()));
  const InputMatrix inputs = input_matrix(s, m.inputs, m.norm);
  std::vector<Day> samples = issue_days_for(c, s, c.train);
  const std::vector<Day> validation = issue_days_for(c, s, c.validation);
  require_scorable(c, s, c.train, "training");
  require_scorable(c, s, c.validation, "validation");
  auto opt = make_adam({});
  TrainingLoop loop(run, m.network, *opt);
  EpochTraining epochs(m, *opt, inputs, s, std::move(samples), validation, progress);
  loop.run({.steps = c.model.epochs * epochs.steps_per_epoch(),
            .schedule = {.base_lr = c.model.lr},
            .step = [&](int64_t step, float lr) { return epochs.step(step, lr); },
            .save_state = [&] { return epochs.state(); },
            .restore_state = [&](const TaskState& st) { epochs.restore(st); },
            .validate = [&] { return epochs.validate(); },
            .validate_every = epochs.steps_per_epoch(),
            .validation_name = "validation NSE"});
  m.validation_nse = epochs.keep_best();
  return m;
}

EnsembleForecast predict_discharge(DischargeModel& m, const DailySeries& s,
                                   const std::vector<Day>& issue_days) {
  const DailySeries data = in_model_units(m, s);
  const InputMatrix inputs = input_matrix(data, m.inputs, m.norm);
  const auto raw = run_network(*m.network, inputs, issue_days, m.config.model.sequence_length,
                               m.config.model.batch);
  return to_forecast(m, s, issue_days, raw);
}

void save_discharge_model(const std::string& path, DischargeModel& m) {
  nlohmann::json meta = {{"kind", kKind},
                         {"config", m.config.json},
                         {"inputs", m.inputs},
                         {"input_units", m.input_units},
                         {"mean", m.norm.mean},
                         {"sd", m.norm.sd},
                         {"target_mean", m.norm.target_mean},
                         {"target_sd", m.norm.target_sd},
                         {"epochs", m.epochs},
                         {"validation_nse", m.validation_nse}};
  if (m.baseline) meta["gr4j"] = conceptual_to_json(*m.baseline);
  save_checkpoint(path, *m.network, nullptr, m.epochs, meta);
}

DischargeModel load_discharge_model(const std::string& path) {
  Checkpoint ck = load_checkpoint(path);
  const nlohmann::json& meta = ck.metadata;
  if (meta.value("kind", "") != kKind)
    throw std::runtime_error(path +
                             ": not a tessera discharge model (a checkpoint of another "
                             "kind)");
  DischargeModel m;
  try {
    m.config = parse_config(meta.at("config"), "/", "model " + path);
    m.inputs = meta.at("inputs").get<std::vector<std::string>>();
    m.input_units = meta.value("input_units", std::vector<std::string>(m.inputs.size()));
    m.norm = {meta.at("mean").get<std::vector<double>>(), meta.at("sd").get<std::vector<double>>(),
              meta.at("target_mean").get<double>(), meta.at("target_sd").get<double>()};
    m.epochs = meta.at("epochs").get<int>();
    m.validation_nse = meta.at("validation_nse").get<double>();
    if (meta.contains("gr4j"))
      m.baseline = conceptual_from_json(meta.at("gr4j"), path + ": GR4J baseline");
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": discharge model metadata is damaged: " + e.what());
  }
  if (m.norm.mean.size() != m.inputs.size() || m.norm.sd.size() != m.inputs.size())
    throw std::runtime_error(path + ": discharge model normalisation does not match its inputs");
  m.network = std::move(ck.model);
  return m;
}

}  // namespace tessera::hydrology
