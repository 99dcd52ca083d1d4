#include "tessera/hydrology/discharge_model.hpp"

#include "network_inputs.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

#include "tessera/hydrology/baselines.hpp"
#include "tessera/hydrology/metrics.hpp"
#include "tessera/hydrology/probabilistic.hpp"
#include "tessera/hydrology/quantile_calibration.hpp"
#include "tessera/hydrology/units.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/init.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/ops/loss.hpp"
#include "tessera/train/optimizer.hpp"
#include "tessera/train/trainer.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::hydrology {
namespace {

using namespace detail;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mean and standard deviation of a sample accumulated as sums.
struct Moments {
  double sum = 0, sq = 0, n = 0;
  void add(double x) {
    if (!std::isnan(x)) sum += x, sq += x * x, n += 1;
  }
  std::pair<double, double> mean_and_sd() const {
    if (n < 2) return {n > 0 ? sum / n : 0, 1};
    const double mean = sum / n, var = std::max(0.0, sq / n - mean * mean);
    return {mean, var > 1e-12 ? std::sqrt(var) : 1};  // a constant input only shifts
  }
};

Moments moments(const std::vector<const TimeSeries*>& basins, const std::string& name,
                const Period& p) {
  Moments m;
  for (const TimeSeries* s : basins)
    for (Step d = p.first; d <= p.last; ++d) m.add(value_on(s->at(name), s->first, d));
  return m;
}

// Over the training period of every basin together; attributes over the basins.
Normalisation normalisation(const HydrologyConfig& c, const std::vector<const TimeSeries*>& basins,
                            const std::vector<std::string>& inputs,
                            const std::vector<std::vector<double>>& attributes) {
  Normalisation n;
  for (const std::string& name : inputs) {
    const auto [mean, sd] = moments(basins, name, c.train).mean_and_sd();
    n.mean.push_back(mean), n.sd.push_back(sd);
  }
  std::tie(n.target_mean, n.target_sd) = moments(basins, c.discharge, c.train).mean_and_sd();
  for (size_t a = 0; !attributes.empty() && a < attributes.front().size(); ++a) {
    Moments m;
    for (const std::vector<double>& basin : attributes) m.add(basin[a]);
    const auto [mean, sd] = m.mean_and_sd();
    n.attribute_mean.push_back(mean), n.attribute_sd.push_back(sd);
  }
  return n;
}

std::unique_ptr<Module> build_network(const ModelSettings& o, int64_t channels, int64_t outputs) {
  auto g = std::make_unique<Graph>();
  std::vector<int> members;
  for (int64_t k = 0; k < o.ensemble; ++k) {
    auto member = std::make_unique<Sequential>();
    member->add(std::make_unique<Lstm>(LstmOptions{
        .input_size = channels, .hidden_size = o.hidden, .forget_bias = float(o.forget_bias)}));
    if (o.dropout > 0)
      member->add(std::make_unique<Dropout>(float(o.dropout), mix_seed(o.seed, 100 + k)));
    member->add(
        std::make_unique<Linear>(LinearOptions{.in_features = o.hidden, .out_features = outputs}));
    members.push_back(g->add(std::move(member), Graph::input, "member" + std::to_string(k)));
  }
  g->add(std::make_unique<Concat>(1), members, "ensemble");
  g->initialize(o.seed);
  return g;
}

// Normalised outputs [issue][member][lead][mean, quantiles] for every issue day, in batches.
std::vector<float> run_network(Module& net, const InputMatrix& m, const std::vector<Step>& issues,
                               int64_t steps, int64_t batch) {
  std::vector<float> out;
  for (size_t i = 0; i < issues.size(); i += size_t(batch)) {
    const int64_t n = std::min<int64_t>(batch, int64_t(issues.size() - i));
    const Tensor y =
        forward_on_model_device(net, input_windows(m, issues.data() + i, n, steps), Mode::eval);
    const std::vector<float> v = y.to_vector();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

// What the network's output is relative to, per issue day. Forecasting: the latest discharge
// observed within the window (the issue day's when there is one), so an output of 0 is
// persistence and the network learns the change; the training mean when none was observed.
// Simulation: the training mean.
double anchor(const DischargeModel& m, const std::vector<double>& q, Step first, Step issue) {
  if (m.config.mode == RunMode::forecasting)
    for (Step d = issue; d > issue - m.config.model.sequence_length; --d) {
      const double v = value_on(q, first, d);
      if (!std::isnan(v)) return v;
    }
  return m.norm.target_mean;
}

// Per member and lead: the mean, then a value per quantile level.
size_t outputs_per_lead(const DischargeModel& m) {
  return 1 + m.levels.size();
}

// The network's own forecast in mm/day, before any blend with GR4J: each member's mean, the
// ensemble mean, and the quantiles as offsets from that mean (averaged over the members, or
// where the network has no quantile head, the members' spread).
struct NetworkForecast {
  size_t issues = 0, leads = 0;
  int64_t members = 0;
  std::vector<double> member_means;  // [issue][member][lead]
  std::vector<double> mean;          // [issue][lead]
  std::vector<double> offsets;       // [issue][lead][level of forecast_levels()]
};

NetworkForecast decode(const DischargeModel& m, const TimeSeries& s,
                       const std::vector<Step>& issues, const std::vector<float>& raw) {
  const std::vector<double>& levels = forecast_levels();
  const size_t leads = m.config.lead_times.size(), per = outputs_per_lead(m), k = levels.size();
  const int64_t members = m.config.model.ensemble;
  NetworkForecast f{issues.size(), leads, members, {}, {}, {}};
  f.member_means.resize(issues.size() * size_t(members) * leads);
  f.mean.resize(issues.size() * leads);
  f.offsets.assign(issues.size() * leads * k, 0.0);
  const std::vector<double>& q = s.at(m.config.discharge);
  const double sd = m.norm.target_sd;
  for (size_t i = 0; i < issues.size(); ++i) {
    const double a = anchor(m, q, s.first, issues[i]);
    for (size_t l = 0; l < leads; ++l) {
      std::vector<double> means;
      std::vector<double> quantiles(k, 0.0);
      for (int64_t member = 0; member < members; ++member) {
        const float* out = raw.data() + ((i * size_t(members) + size_t(member)) * leads + l) * per;
        const double mean = std::max(0.0, a + out[0] * sd);  // discharge is never negative
        f.member_means[(i * size_t(members) + size_t(member)) * leads + l] = mean;
        means.push_back(mean);
        if (!m.levels.empty()) {
          std::vector<double> own(out + 1, out + per);  // the member's quantiles, sorted
          std::sort(own.begin(), own.end());
          for (size_t j = 0; j < k; ++j)
            quantiles[j] +=
                (a + quantile_at(m.levels, own.data(), levels[j]) * sd) / double(members);
        }
      }
      const double mean = std::accumulate(means.begin(), means.end(), 0.0) / double(members);
      f.mean[i * leads + l] = mean;
      std::sort(means.begin(), means.end());
      for (size_t j = 0; j < k; ++j)
        f.offsets[(i * leads + l) * k + j] =
            (m.levels.empty() ? sample_quantile(means, levels[j]) : quantiles[j]) - mean;
    }
  }
  return f;
}

// GR4J's value for each (issue, lead), mm/day: in simulation its run over the observed
// weather, in forecasting its forecast from the issue day. Empty without a baseline or the
// inputs to run it on.
std::vector<double> gr4j_values(const HydrologyConfig& c,
                                const std::optional<ConceptualModel>& baseline, const TimeSeries& s,
                                const std::vector<Step>& issues, const WeatherForecasts& w) {
  if (!baseline || !has_gr4j_inputs(c)) return {};
  if (c.mode == RunMode::forecasting) return baseline_forecasts(*baseline, c, s, issues, w);
  const std::vector<double> q = baseline_discharge(*baseline, c, s);
  std::vector<double> out;
  for (Step t : issues) out.push_back(value_on(q, s.first, t));
  return out;
}

// The forecast: the network's mean blended with GR4J's (kept beside it) by the model's weights,
// the network's quantile offsets around it, shifted by the model's calibration.
DischargeForecast combine(const DischargeModel& m, const std::vector<Step>& issues,
                          const NetworkForecast& net, const std::vector<double>& gr4j,
                          bool calibrated = true) {
  const std::vector<double>& levels = forecast_levels();
  const size_t leads = net.leads, k = levels.size();
  DischargeForecast f{issues, m.config.lead_times, levels,           {},
                      {},     net.members,         net.member_means, gr4j};
  f.point.resize(issues.size() * leads);
  f.values.resize(issues.size() * leads * k);
  for (size_t i = 0; i < issues.size(); ++i)
    for (size_t l = 0; l < leads; ++l) {
      const size_t row = i * leads + l;
      const double w = l < m.blend.size() ? m.blend[l] : 1.0;
      const double g = w < 1 && !gr4j.empty() ? gr4j[row] : NAN;
      f.point[row] = std::isnan(g) ? net.mean[row] : w * net.mean[row] + (1 - w) * g;
      for (size_t j = 0; j < k; ++j)
        f.values[row * k + j] = f.point[row] + net.offsets[row * k + j];
    }
  for (size_t l = 0; l < leads && calibrated; ++l) {
    if (l >= m.calibration.size()) continue;
    std::vector<double> lead_values;
    for (size_t i = 0; i < issues.size(); ++i)
      lead_values.insert(lead_values.end(), f.values.begin() + long((i * leads + l) * k),
                         f.values.begin() + long((i * leads + l + 1) * k));
    apply_quantile_shifts(levels, m.calibration[l], lead_values);
    for (size_t i = 0; i < issues.size(); ++i)
      std::copy(lead_values.begin() + long(i * k), lead_values.begin() + long((i + 1) * k),
                f.values.begin() + long((i * leads + l) * k));
  }
  if (!calibrated)
    for (double& v : f.values) v = std::max(v, 0.0);
  return f;
}

// Issue days whose targets (issue + some lead) fall in `p` and whose discharge is observed.
std::vector<Step> issue_days_for(const HydrologyConfig& c, const TimeSeries& s, const Period& p) {
  const std::vector<double>& q = s.at(c.discharge);
  std::vector<Step> days;
  const int64_t lo = *std::min_element(c.lead_times.begin(), c.lead_times.end());
  const int64_t hi = *std::max_element(c.lead_times.begin(), c.lead_times.end());
  for (Step t = p.first - hi; t <= p.last - lo; ++t) {
    bool any = false;
    for (int64_t l : c.lead_times)
      any = any || (p.contains(t + l) && !std::isnan(value_on(q, s.first, t + l)));
    if (any) days.push_back(t);
  }
  return days;
}

// The observation of each (issue, lead) whose target lies in `p`, NaN elsewhere.
std::vector<double> observed_targets(const HydrologyConfig& c, const TimeSeries& s, const Period& p,
                                     const std::vector<Step>& issues) {
  const std::vector<double>& q = s.at(c.discharge);
  std::vector<double> out;
  for (Step t : issues)
    for (int64_t l : c.lead_times)
      out.push_back(p.contains(t + l) ? value_on(q, s.first, t + l) : NAN);
  return out;
}

// NSE of `values` [issue][lead] against the observations, one per lead.
std::vector<double> nse_per_lead(const std::vector<double>& values,
                                 const std::vector<double>& observed, size_t leads) {
  std::vector<double> out;
  for (size_t l = 0; l < leads; ++l) {
    std::vector<double> sim, obs;
    for (size_t row = l; row < observed.size(); row += leads)
      if (!std::isnan(observed[row]) && !std::isnan(values[row]))
        sim.push_back(values[row]), obs.push_back(observed[row]);
    out.push_back(skill_scores(sim, obs).nse);
  }
  return out;
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / double(std::max<size_t>(1, v.size()));
}

// Training needs discharge to learn from and validation discharge that varies, or no epoch
// could be told from another.
void require_scorable(const HydrologyConfig& c, const TimeSeries& s, const Period& p,
                      const std::string& name) {
  const std::vector<double>& q = s.at(c.discharge);
  double lo = INFINITY, hi = -INFINITY;
  int64_t n = 0;
  for (Step d = p.first; d <= p.last; ++d) {
    const double v = value_on(q, s.first, d);
    if (std::isnan(v)) continue;
    lo = std::min(lo, v), hi = std::max(hi, v), ++n;
  }
  if (n < 2 || !(hi > lo))
    throw std::runtime_error(c.path + ": the " + name + " period " + format_step(p.first, s.step) +
                             " to " + format_step(p.last, s.step) + " has " + std::to_string(n) +
                             " steps of observed discharge" + (n >= 2 ? ", all equal" : "") +
                             "; it needs at least 2 that differ");
}

struct Targets {
  // [B, members * leads * (1 + levels)]: discharge less the anchor over the training standard
  // deviation in every slot of a lead; masks of 1 where observed and drawn for the member, one
  // for the mean slots, one for the quantile slots; the quantile level of each slot.
  Tensor value, mean_mask, quantile_mask, level;
};

// Each member learns from its own random share of every batch (kBagged of it), as in bagging:
// members that differ only in their initial weights agree too closely for their spread to
// mean much.
constexpr double kBagged = 0.75;

// A training example: an issue day of a basin.
struct Sample {
  int64_t basin = 0;
  Step day = 0;
};

Targets targets_for(const DischargeModel& m, const std::vector<const TimeSeries*>& basins,
                    const Sample* samples, int64_t count, std::mt19937_64& rng) {
  std::bernoulli_distribution drawn(kBagged);
  const HydrologyConfig& c = m.config;
  const int64_t leads = int64_t(c.lead_times.size()), members = c.model.ensemble;
  const int64_t per = int64_t(outputs_per_lead(m)), width = members * leads * per;
  Targets t{Tensor::zeros({count, width}), Tensor::zeros({count, width}),
            Tensor::zeros({count, width}), Tensor::zeros({count, width})};
  for (int64_t b = 0; b < count; ++b) {
    const TimeSeries& s = *basins[size_t(samples[b].basin)];
    const std::vector<double>& q = s.at(c.discharge);
    const Step issue = samples[b].day;
    const double a = anchor(m, q, s.first, issue);
    std::vector<bool> member_draws(size_t(members), true);  // one member alone learns from all
    if (members > 1)
      for (int64_t k = 0; k < members; ++k) member_draws[size_t(k)] = drawn(rng);
    for (int64_t i = b * width; i < (b + 1) * width; ++i)  // a valid level in every slot
      t.level.data()[i] = i % per == 0 ? 0.5f : float(m.levels[size_t(i % per - 1)]);
    for (int64_t l = 0; l < leads; ++l) {
      const Step day = issue + c.lead_times[size_t(l)];
      const double v = c.train.contains(day) ? value_on(q, s.first, day) : kNaN;
      if (std::isnan(v)) continue;
      for (int64_t k = 0; k < members; ++k)
        for (int64_t j = 0; j < per; ++j) {
          const int64_t i = b * width + (k * leads + l) * per + j;
          t.value.data()[i] = float((v - a) / m.norm.target_sd);
          (j == 0 ? t.mean_mask : t.quantile_mask).data()[i] = member_draws[size_t(k)] ? 1.f : 0.f;
        }
    }
  }
  return t;
}

// Squared error of the means plus the pinball loss of the quantiles.
LossResult discharge_loss(const Tensor& y, const Targets& t, bool quantiles) {
  LossResult r = mse_loss(y, t.value, {.mask = t.mean_mask});
  if (!quantiles) return r;
  const LossResult qr = quantile_loss(y, t.value, t.level, {.mask = t.quantile_mask});
  r.value += qr.value;
  Tensor g = r.grad.to_plain();
  const Tensor qg = qr.grad.to_plain();
  for (int64_t i = 0; i < g.numel(); ++i) g.data()[i] += qg.data()[i];
  r.grad = g;
  return r;
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

// One basin as training reads it: its series (with GR4J's channels for a hybrid), the weather
// forecasts, the input matrix, and its training and validation issue days.
struct BasinRun {
  const BasinData* data = nullptr;
  TimeSeries series;
  WeatherForecasts forecasts;
  InputMatrix inputs;
  std::vector<Step> validation;
};

// [B, channels, T + ahead]: the window of each sample, from its basin's inputs.
Tensor sample_windows(const std::vector<BasinRun>& runs, const Sample* samples, int64_t count,
                      int64_t steps) {
  const InputMatrix& first = runs.front().inputs;
  const int64_t size = first.channels * (steps + first.ahead);
  Tensor x = Tensor::zeros({count, first.channels, steps + first.ahead});
  for (int64_t b = 0; b < count; ++b)
    write_window(runs[size_t(samples[b].basin)].inputs, samples[b].day, steps, x.data() + b * size);
  return x;
}

std::vector<const TimeSeries*> series_of(const std::vector<BasinRun>& runs) {
  std::vector<const TimeSeries*> out;
  for (const BasinRun& r : runs) out.push_back(&r.series);
  return out;
}

// Epochs as the training loop's steps: each epoch shuffles the training samples (issue days of
// every basin trained on) and takes them a batch per step; the validation after each epoch
// (mean NSE over leads and basins) keeps the best weights and stops after `patience` epochs
// without improvement. Everything a resumed run needs is in state().
class EpochTraining {
 public:
  EpochTraining(DischargeModel& m, Optimizer& opt, const std::vector<BasinRun>& runs,
                std::vector<Sample> samples,
                const std::function<void(const EpochReport&)>& progress)
      : m_(m),
        opt_(opt),
        runs_(runs),
        series_(series_of(runs)),
        samples_(std::move(samples)),
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
    const Tensor x = sample_windows(runs_, samples_.data() + i, b, o.sequence_length);
    const Targets t = targets_for(m_, series_, samples_.data() + i, b, rng_);
    const float loss = train_step(*m_.network, opt_, lr, x, [&](const Tensor& y) {
      return discharge_loss(y, t, !m_.levels.empty());
    });
    loss_sum_ += loss;
    return loss;
  }

  Validation validate() {
    const HydrologyConfig& c = m_.config;
    const int epoch = ++epoch_;
    EpochReport r{epoch, loss_sum_ / double(batches_), 0, false, 0};
    double total = 0, basins = 0;
    for (const BasinRun& run : runs_) {
      if (run.data->held_out) continue;
      const auto raw = run_network(*m_.network, run.inputs, run.validation, c.model.sequence_length,
                                   c.model.batch);
      const NetworkForecast f = decode(m_, run.series, run.validation, raw);
      total += mean_of(nse_per_lead(
          f.mean, observed_targets(c, run.series, c.validation, run.validation), f.leads));
      basins += 1;
    }
    r.validation_nse = total / basins;
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
    nlohmann::json samples = nlohmann::json::array();
    for (const Sample& x : samples_) samples.push_back({x.basin, x.day});
    TaskState st{{{"rng", rng_text(rng_)},
                  {"samples", samples},
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
    samples_.clear();
    for (const nlohmann::json& x : d.at("samples"))
      samples_.push_back({x.at(0).get<int64_t>(), x.at(1).get<Step>()});
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
  const std::vector<BasinRun>& runs_;
  std::vector<const TimeSeries*> series_;
  std::vector<Sample> samples_;
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

const std::vector<double>& forecast_levels() {
  static const std::vector<double> levels = {0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95};
  return levels;
}

double DischargeForecast::quantile(size_t issue, size_t lead, double q) const {
  return quantile_at(levels, quantiles(issue, lead), std::clamp(q, 1e-9, 1 - 1e-9));
}

namespace {

// The blend of network and GR4J with the best validation NSE per lead (the network's share on
// a grid of 0.05), and each candidate's score, into the model.
void choose_blend(DischargeModel& m, const NetworkForecast& net, const std::vector<double>& gr4j,
                  const std::vector<double>& observed) {
  const size_t leads = net.leads;
  m.candidates = {{"network", nse_per_lead(net.mean, observed, leads), {}}};
  m.blend.assign(leads, 1.0);
  m.choice = "network";
  if (gr4j.empty()) return;
  Candidate g{"gr4j", nse_per_lead(gr4j, observed, leads), {}};
  Candidate blend{"blend", {}, {}};
  for (size_t l = 0; l < leads; ++l) {
    double best = -INFINITY, best_w = 1;
    for (int step = 0; step <= 20; ++step) {
      const double w = step / 20.0;
      std::vector<double> sim, obs;
      for (size_t row = l; row < observed.size(); row += leads)
        if (!std::isnan(observed[row]) && !std::isnan(gr4j[row]))
          sim.push_back(w * net.mean[row] + (1 - w) * gr4j[row]), obs.push_back(observed[row]);
      const double nse = skill_scores(sim, obs).nse;
      if (nse > best) best = nse, best_w = w;
    }
    blend.nse.push_back(best);
    blend.weight.push_back(best_w);
  }
  m.candidates.push_back(g);
  m.candidates.push_back(blend);
  m.blend = blend.weight;
  const bool all_network =
      std::all_of(m.blend.begin(), m.blend.end(), [](double w) { return w == 1; });
  const bool all_gr4j =
      std::all_of(m.blend.begin(), m.blend.end(), [](double w) { return w == 0; });
  m.choice = all_network ? "network" : all_gr4j ? "gr4j" : "blend";
}

// The shift of each quantile level per lead that makes its coverage hold on the validation
// period (quantile_calibration.hpp).
void calibrate_quantiles(DischargeModel& m, const DischargeForecast& f,
                         const std::vector<double>& observed) {
  const size_t leads = f.leads.size(), k = f.levels.size();
  m.calibration.clear();
  for (size_t l = 0; l < leads; ++l) {
    std::vector<double> values, obs;
    for (size_t i = 0; i < f.issue_days.size(); ++i) {
      const double* q = f.quantiles(i, l);
      values.insert(values.end(), q, q + k);
      obs.push_back(observed[i * leads + l]);
    }
    m.calibration.push_back(fit_quantile_shifts(f.levels, values, obs));
  }
}

}  // namespace

namespace {

void append(NetworkForecast& a, const NetworkForecast& b) {
  a.issues += b.issues;
  a.leads = b.leads, a.members = b.members;
  a.member_means.insert(a.member_means.end(), b.member_means.begin(), b.member_means.end());
  a.mean.insert(a.mean.end(), b.mean.begin(), b.mean.end());
  a.offsets.insert(a.offsets.end(), b.offsets.begin(), b.offsets.end());
}

// The blend and the band from the validation periods of the basins trained on, together.
void choose_on_validation(DischargeModel& m, const std::vector<BasinRun>& runs) {
  const HydrologyConfig& c = m.config;
  NetworkForecast net;
  std::vector<Step> issues;
  std::vector<double> observed, gr4j;
  bool all_gr4j = true;
  for (const BasinRun& run : runs) {
    if (run.data->held_out) continue;
    const auto raw =
        run_network(*m.network, run.inputs, run.validation, c.model.sequence_length, c.model.batch);
    append(net, decode(m, run.series, run.validation, raw));
    issues.insert(issues.end(), run.validation.begin(), run.validation.end());
    const std::vector<double> o = observed_targets(c, run.series, c.validation, run.validation);
    observed.insert(observed.end(), o.begin(), o.end());
    const std::vector<double> g = gr4j_values(run.data->config, run.data->baseline, run.series,
                                              run.validation, run.forecasts);
    all_gr4j = all_gr4j && !g.empty();
    gr4j.insert(gr4j.end(), g.begin(), g.end());
  }
  if (!all_gr4j) gr4j.clear();
  choose_blend(m, net, gr4j, observed);
  calibrate_quantiles(m, combine(m, issues, net, gr4j, false), observed);
}

// Fine-tuning (regional pretraining, then the user's basin) keeps the normalisation of the model
// it starts from: its weights were learnt on inputs scaled so.
Normalisation fine_tuned_normalisation(const DischargeModel& m, const std::string& init_from) {
  const DischargeModel from = load_discharge_model(init_from);
  if (from.inputs != m.inputs || from.attribute_names != m.attribute_names)
    throw SettingError("init_from", init_from + " reads " + list_names(from.inputs) +
                                        " and attributes " + list_names(from.attribute_names) +
                                        "; this config " + list_names(m.inputs) +
                                        " and attributes " + list_names(m.attribute_names));
  return from.norm;
}

DischargeModel train_basins(const HydrologyConfig& c, const std::vector<BasinData>& basins,
                            const std::function<void(const EpochReport&)>& progress,
                            const RunSettings& run, const WeatherForecasts* forecasts) {
  DischargeModel m;
  m.config = basins.front().config;
  if (c.forecasts.kind != ForecastSource::Kind::none) {
    m.forecast_inputs = c.forecasts.variables;
    m.ahead = c.lead_times.back();
  }
  m.hybrid = c.model.hybrid && std::all_of(basins.begin(), basins.end(), [](const BasinData& b) {
               return b.baseline.has_value();
             });
  if (c.model.quantiles) m.levels = forecast_levels();
  m.attribute_names = c.attributes;
  m.inputs = model_inputs(c);
  if (m.hybrid) m.inputs.insert(m.inputs.end(), std::begin(kGr4jChannels), std::end(kGr4jChannels));
  std::vector<BasinRun> runs;
  for (const BasinData& b : basins) {
    BasinRun r{&b, with_gr4j_channels(m.hybrid, b.config, b.baseline, b.series), {}, {}, {}};
    r.forecasts = forecasts ? *forecasts : load_forecasts(b.config, b.series);
    runs.push_back(std::move(r));
  }
  for (const std::string& name : m.inputs)  // the first basin's units are the model's
    m.input_units.push_back(runs.front().series.variable(name).units);
  std::vector<const TimeSeries*> trained;
  std::vector<std::vector<double>> attributes;
  for (const BasinRun& r : runs)
    if (!r.data->held_out) {
      trained.push_back(&r.series);
      attributes.push_back(r.data->attributes);
    }
  m.norm = normalisation(c, trained, m.inputs, attributes);
  if (!run.init_from.empty()) m.norm = fine_tuned_normalisation(m, run.init_from);
  std::vector<Sample> samples;
  for (size_t k = 0; k < runs.size(); ++k) {
    BasinRun& r = runs[k];
    const TimeSeries data = in_model_units(m, r.series);
    const WeatherForecasts forecasts = forecasts_in_model_units(m, r.series, r.forecasts);
    r.inputs = input_matrix(data, m.inputs, m.norm, m.forecast_inputs, m.ahead, &forecasts,
                            r.data->attributes);
    if (r.data->held_out) continue;
    const std::string name = r.data->id.empty() ? "" : " of basin " + r.data->id;
    require_scorable(c, r.series, c.train, "training" + name);
    require_scorable(c, r.series, c.validation, "validation" + name);
    for (Step d : issue_days_for(c, r.series, c.train)) samples.push_back({int64_t(k), d});
    r.validation = issue_days_for(c, r.series, c.validation);
  }
  m.network = build_network(c.model, runs.front().inputs.channels,
                            int64_t(c.lead_times.size() * outputs_per_lead(m)));
  auto opt = make_adam({});
  TrainingLoop loop(run, m.network, *opt);
  EpochTraining epochs(m, *opt, runs, std::move(samples), progress);
  loop.run({.steps = c.model.epochs * epochs.steps_per_epoch(),
            .schedule = {.base_lr = c.model.lr},
            .step = [&](int64_t step, float lr) { return epochs.step(step, lr); },
            .save_state = [&] { return epochs.state(); },
            .restore_state = [&](const TaskState& st) { epochs.restore(st); },
            .validate = [&] { return epochs.validate(); },
            .validate_every = epochs.steps_per_epoch(),
            .validation_name = "validation NSE"});
  m.validation_nse = epochs.keep_best();
  choose_on_validation(m, runs);
  m.baseline = basins.front().baseline;
  if (!c.basins.empty()) {
    for (const BasinData& b : basins)
      m.basins.push_back({b.id, b.attributes, b.baseline, b.held_out});
    select_basin(m, basins.front().id);
  }
  return m;
}

}  // namespace

DischargeModel train_discharge_model(const HydrologyConfig& c, const TimeSeries& s,
                                     const std::function<void(const EpochReport&)>& progress,
                                     const RunSettings& run,
                                     const std::optional<ConceptualModel>& baseline,
                                     const WeatherForecasts* forecasts) {
  return train_basins(c, {BasinData{"", c, s, baseline, {}, false}}, progress, run, forecasts);
}

DischargeModel train_discharge_model(const HydrologyConfig& c, const std::vector<BasinData>& basins,
                                     const std::function<void(const EpochReport&)>& progress,
                                     const RunSettings& run) {
  if (basins.size() != c.basins.size() || basins.empty())
    throw std::invalid_argument("train_discharge_model: " + std::to_string(basins.size()) +
                                " basins' data for a config of " + std::to_string(c.basins.size()));
  return train_basins(c, basins, progress, run, nullptr);
}

void select_basin(DischargeModel& m, const std::string& id) {
  if (m.basins.empty()) {
    if (!id.empty())
      throw SettingError("basin", "the model is of one basin; it has no basin '" + id + "'");
    return;
  }
  std::vector<std::string> ids;
  for (const ModelBasin& b : m.basins) ids.push_back(b.id);
  const auto it = std::find(ids.begin(), ids.end(), id);
  if (it == ids.end())
    throw SettingError("basin", (id.empty() ? std::string("the model is of several basins")
                                            : "'" + id + "' is none of the model's basins") +
                                    ": name one of " + list_names(ids));
  const size_t k = size_t(it - ids.begin());
  const std::string path = m.config.path;
  m.config = basin_config(parse_config(m.config.json, "/", path), k);
  m.baseline = m.basins[k].baseline;
  m.attributes = m.basins[k].attributes;
  m.selected = k;
}

DischargeForecast predict_discharge(DischargeModel& m, const TimeSeries& s,
                                    const std::vector<Step>& issue_days,
                                    const WeatherForecasts* forecasts) {
  if (s.step != m.config.time_step)
    throw std::runtime_error("the data has steps of " + format_time_step(s.step) +
                             ", the model steps of " + format_time_step(m.config.time_step));
  const WeatherForecasts w = forecasts ? *forecasts : load_forecasts(m.config, s);
  const TimeSeries data = in_model_units(m, with_gr4j_channels(m.hybrid, m.config, m.baseline, s));
  const WeatherForecasts in_units = forecasts_in_model_units(m, s, w);
  const InputMatrix inputs =
      input_matrix(data, m.inputs, m.norm, m.forecast_inputs, m.ahead, &in_units, m.attributes);
  const auto raw = run_network(*m.network, inputs, issue_days, m.config.model.sequence_length,
                               m.config.model.batch);
  return combine(m, issue_days, decode(m, s, issue_days, raw),
                 gr4j_values(m.config, m.baseline, s, issue_days, w));
}

}  // namespace tessera::hydrology
