#include "network_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tessera/hydrology/baselines.hpp"
#include "tessera/hydrology/units.hpp"

namespace tessera::hydrology::detail {

InputMatrix input_matrix(const TimeSeries& s, const std::vector<std::string>& inputs,
                         const Normalisation& norm, const std::vector<std::string>& forecast,
                         int64_t ahead, const WeatherForecasts* w,
                         const std::vector<double>& attributes) {
  InputMatrix m{s.first, s.length, 0, {}, {}, ahead, 0, 0, 0, {}, {}};
  for (size_t a = 0; a < attributes.size(); ++a)
    m.statics.push_back(float((attributes[a] - norm.attribute_mean[a]) / norm.attribute_sd[a]));
  m.channels = 2 * int64_t(inputs.size()) + int64_t(m.statics.size()) + (ahead > 0);
  m.data.assign(size_t(2 * int64_t(inputs.size()) * m.days), 0.f);
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
  if (ahead == 0 || !w || w->issues == 0) return m;
  m.first_issue = w->first_issue, m.issues = w->issues, m.max_lead = w->max_lead;
  for (const std::string& name : forecast) {
    const size_t k = size_t(std::find(inputs.begin(), inputs.end(), name) - inputs.begin());
    m.forecast_input.push_back(k);
    std::vector<float> f;
    for (double x : w->variables.at(name).values)
      f.push_back(std::isnan(x) ? NAN : float((x - norm.mean[k]) / norm.sd[k]));
    m.forecasts.push_back(std::move(f));
  }
  return m;
}

// One window [channels][T + ahead] of the T days ending on `issue` into `out`; days outside the
// series are missing. The `ahead` days after the issue day read nothing observed: only the
// forecasts issued on the issue day itself (the rest is missing), so no later data leaks in.
// Then the basin's attributes, constant, and the channel that marks the days ahead.
void write_window(const InputMatrix& m, Step issue, int64_t steps, float* out) {
  const int64_t total = steps + m.ahead;
  const int64_t observed_channels = int64_t(m.data.size()) / std::max<int64_t>(1, m.days);
  const Step start = issue - steps + 1;
  for (int64_t c = 0; c < observed_channels; ++c) {
    float* row = out + c * total;
    const bool flag = c % 2 == 1;
    for (int64_t t = 0; t < total; ++t) {
      const int64_t d = start + t - m.first;
      row[t] =
          d >= 0 && d < m.days && t < steps ? m.data[size_t(c * m.days + d)] : (flag ? 1.f : 0.f);
    }
  }
  for (size_t a = 0; a < m.statics.size(); ++a)
    std::fill_n(out + (observed_channels + int64_t(a)) * total, total, m.statics[a]);
  if (m.ahead == 0) return;
  std::fill_n(out + (m.channels - 1) * total + steps, m.ahead, 1.f);
  const int64_t i = issue - m.first_issue;
  if (i < 0 || i >= m.issues) return;
  for (size_t v = 0; v < m.forecasts.size(); ++v) {
    float* value = out + 2 * int64_t(m.forecast_input[v]) * total;
    float* missing = value + total;
    for (int64_t lead = 1; lead <= std::min(m.ahead, m.max_lead); ++lead) {
      const float f = m.forecasts[v][size_t(i * m.max_lead + lead - 1)];
      if (std::isnan(f)) continue;
      value[steps + lead - 1] = f;
      missing[steps + lead - 1] = 0.f;
    }
  }
}

// [B, channels, T + ahead]: the windows ending on each issue day of one basin.
Tensor input_windows(const InputMatrix& m, const Step* issues, int64_t count, int64_t steps) {
  Tensor x = Tensor::zeros({count, m.channels, steps + m.ahead});
  for (int64_t b = 0; b < count; ++b)
    write_window(m, issues[b], steps, x.data() + b * m.channels * (steps + m.ahead));
  return x;
}

// GR4J's simulated discharge (mm/day) and production and routing stores (mm), day by day over
// the series: what a hybrid network reads beside the weather.

TimeSeries with_gr4j_channels(bool hybrid, const HydrologyConfig& c,
                              const std::optional<ConceptualModel>& baseline, const TimeSeries& s) {
  if (!hybrid) return s;
  TimeSeries out = s;
  for (const char* name : kGr4jChannels)
    if (s.has(name))
      throw std::runtime_error(std::string("the data has a variable named '") + name +
                               "', which the hybrid model computes itself: rename it");
  std::vector<ConceptualState> states;
  ConceptualForcing f;
  try {
    f = conceptual_forcing(c, s);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the hybrid model runs GR4J over the data: ") + e.what());
  }
  const std::vector<double> q =
      run_conceptual_states(*baseline, f, initial_conceptual_state(*baseline), states);
  Variable production{{}, "mm"}, routing{{}, "mm"};
  for (const ConceptualState& st : states) {
    production.values.push_back(st.gr4j.production);
    routing.values.push_back(st.gr4j.routing);
  }
  out.variables[kGr4jChannels[0]] = {q, "mm/day"};
  out.variables[kGr4jChannels[1]] = std::move(production);
  out.variables[kGr4jChannels[2]] = std::move(routing);
  return out;
}

// The model's inputs of `s`, in the units of the training data: normalisation statistics are
// in those units.
TimeSeries in_model_units(const DischargeModel& m, const TimeSeries& s) {
  TimeSeries out{s.first, s.length, {}, s.step};
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

// The weather forecasts in the units of the model's inputs (they come in those of `s`).
WeatherForecasts forecasts_in_model_units(const DischargeModel& m, const TimeSeries& s,
                                          WeatherForecasts w) {
  for (auto& [name, v] : w.variables) {
    const size_t k = size_t(std::find(m.inputs.begin(), m.inputs.end(), name) - m.inputs.begin());
    const std::string want = k < m.input_units.size() ? m.input_units[k] : "";
    if (!want.empty() && s.has(name) && !s.variable(name).units.empty()) {
      v.units = s.variable(name).units;
      if (v.units != want) convert_units(v, want);
    }
  }
  return w;
}

}  // namespace tessera::hydrology::detail
