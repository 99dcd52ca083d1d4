#include "tessera/hydrology/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "tessera/hydrology/baselines.hpp"
#include "tessera/hydrology/metrics.hpp"

namespace tessera::hydrology {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* mode_name(RunMode m) {
  return m == RunMode::simulation ? "simulation" : "forecasting";
}

double value_at(const std::vector<double>& v, Day first, Day day) {
  const int64_t i = day - first;
  return i >= 0 && i < int64_t(v.size()) ? v[size_t(i)] : kNaN;
}

// Each method's value for every (issue, lead) of the forecast.
using MethodValues = std::map<std::string, std::vector<double>>;

MethodValues method_values(DischargeModel& m, const DailySeries& s, const EnsembleForecast& f) {
  const HydrologyConfig& c = m.config;
  const std::vector<double>& q = s.at(c.discharge);
  const auto clim = discharge_climatology(c, s);
  std::vector<double> gr4j;
  if (m.baseline) gr4j = baseline_discharge(*m.baseline, c, s);
  MethodValues v;
  for (size_t i = 0; i < f.issue_days.size(); ++i)
    for (size_t l = 0; l < f.leads.size(); ++l) {
      const Day t = f.issue_days[i], target = t + f.leads[l];
      v["observed"].push_back(value_at(q, s.first, target));
      v["network"].push_back(f.mean(i, l));
      v["climatology"].push_back(clim[size_t(day_of_year(target))]);
      if (c.mode == RunMode::forecasting) v["persistence"].push_back(value_at(q, s.first, t));
      if (m.baseline) v["gr4j"].push_back(value_at(gr4j, s.first, target));
    }
  return v;
}

}  // namespace

Scores score(const std::vector<double>& sim, const std::vector<double>& obs) {
  Scores s;
  const KlingGupta k = kling_gupta(sim, obs);
  s.nse = nash_sutcliffe(sim, obs);
  s.kge = k.kge, s.r = k.r, s.alpha = k.alpha, s.beta = k.beta;
  s.percent_bias = percent_bias(sim, obs);
  s.peak_flow_error = peak_flow_error(sim, obs);
  for (size_t i = 0; i < sim.size(); ++i) s.days += !std::isnan(sim[i]) && !std::isnan(obs[i]);
  return s;
}

Evaluation evaluate_discharge(DischargeModel& m, const DailySeries& s, const Period& p,
                              const std::string& period_name) {
  const HydrologyConfig& c = m.config;
  std::vector<Day> issues;
  const int64_t longest = *std::max_element(c.lead_times.begin(), c.lead_times.end());
  for (Day t = p.first - longest; t <= p.last; ++t) issues.push_back(t);
  const EnsembleForecast f = predict_discharge(m, s, issues);
  const MethodValues v = method_values(m, s, f);
  Evaluation e{period_name, p, c.mode, {}};
  const size_t leads = f.leads.size();
  for (size_t l = 0; l < leads; ++l) {
    // The days every method has a value for, inside the period.
    std::vector<size_t> rows;
    for (size_t i = 0; i < f.issue_days.size(); ++i) {
      const size_t row = i * leads + l;
      bool ok = p.contains(f.issue_days[i] + f.leads[l]);
      for (const auto& [name, values] : v) ok = ok && !std::isnan(values[row]);
      if (ok) rows.push_back(row);
    }
    if (rows.size() < 2)
      throw std::runtime_error(c.path + ": fewer than 2 days with observed discharge in the " +
                               period_name + " period " + format_date(p.first) + " to " +
                               format_date(p.last) + " (lead " + std::to_string(f.leads[l]) + ")");
    LeadEvaluation le{f.leads[l], {}};
    for (const auto& [name, values] : v) {
      if (name == "observed") continue;
      std::vector<double> sim, obs;
      for (size_t row : rows) sim.push_back(values[row]), obs.push_back(v.at("observed")[row]);
      le.methods[name] = score(sim, obs);
    }
    e.leads.push_back(le);
  }
  return e;
}

nlohmann::json to_json(const Evaluation& e) {
  nlohmann::json leads = nlohmann::json::array();
  auto number = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); };
  for (const LeadEvaluation& le : e.leads) {
    nlohmann::json methods;
    for (const auto& [name, s] : le.methods)
      methods[name] = {{"nse", number(s.nse)},
                       {"kge", number(s.kge)},
                       {"r", number(s.r)},
                       {"alpha", number(s.alpha)},
                       {"beta", number(s.beta)},
                       {"percent_bias", number(s.percent_bias)},
                       {"peak_flow_error", number(s.peak_flow_error)},
                       {"days", s.days}};
    leads.push_back({{"lead_days", le.lead}, {"methods", methods}});
  }
  return {{"period", e.period_name},
          {"first_day", format_date(e.period.first)},
          {"last_day", format_date(e.period.last)},
          {"mode", mode_name(e.mode)},
          {"units", "discharge in mm/day"},
          {"leads", leads}};
}

std::string to_markdown(const Evaluation& e) {
  std::string out = "Discharge skill, " + e.period_name + " period " + format_date(e.period.first) +
                    " to " + format_date(e.period.last) + " (" + mode_name(e.mode) + ")\n\n";
  out +=
      "| lead (days) | method | NSE | KGE | r | alpha | beta | bias % | peak-flow error % | days "
      "|\n";
  out += "|---|---|---|---|---|---|---|---|---|---|\n";
  char line[256];
  for (const LeadEvaluation& le : e.leads)
    for (const char* name : {"network", "gr4j", "persistence", "climatology"}) {
      auto it = le.methods.find(name);
      if (it == le.methods.end()) continue;
      const Scores& s = it->second;
      std::snprintf(line, sizeof line,
                    "| %lld | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.1f | %.1f | %lld |\n",
                    (long long)le.lead, name, s.nse, s.kge, s.r, s.alpha, s.beta, s.percent_bias,
                    s.peak_flow_error, (long long)s.days);
      out += line;
    }
  return out;
}

}  // namespace tessera::hydrology
