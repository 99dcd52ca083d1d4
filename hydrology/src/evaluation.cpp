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

const char* mode_name(RunMode m) {
  return m == RunMode::simulation ? "simulation" : "forecasting";
}

// The observation and each method's value for every (issue, lead) of the forecast.
struct MethodValues {
  std::vector<double> observed;
  std::map<std::string, std::vector<double>> methods;
};

MethodValues method_values(DischargeModel& m, const DailySeries& s, const DischargeForecast& f) {
  const HydrologyConfig& c = m.config;
  const std::vector<double>& q = s.at(c.discharge);
  const bool forecasting = c.mode == RunMode::forecasting;
  const auto clim = discharge_climatology(c, s);
  std::vector<double> gr4j;  // simulation: per day of the series; forecasting: per (issue, lead)
  if (m.baseline)
    gr4j = forecasting ? baseline_forecasts(*m.baseline, c, s, f.issue_days)
                       : baseline_discharge(*m.baseline, c, s);
  MethodValues v;
  for (size_t i = 0; i < f.issue_days.size(); ++i)
    for (size_t l = 0; l < f.leads.size(); ++l) {
      const Day t = f.issue_days[i], target = t + f.leads[l];
      v.observed.push_back(value_on(q, s.first, target));
      v.methods["network"].push_back(f.mean(i, l));
      v.methods["climatology"].push_back(clim[size_t(day_of_year(target))]);
      if (forecasting) v.methods["persistence"].push_back(value_on(q, s.first, t));
      if (m.baseline)
        v.methods["gr4j"].push_back(forecasting ? gr4j[i * f.leads.size() + l]
                                                : value_on(gr4j, s.first, target));
    }
  return v;
}

double band_coverage(const DischargeForecast& f, const std::vector<double>& observed,
                     const std::vector<size_t>& rows) {
  const size_t leads = f.leads.size();
  double inside = 0;
  for (size_t row : rows) {
    const size_t i = row / leads, l = row % leads;
    const double q = observed[row];
    inside += q >= f.quantile(i, l, 0.1) && q <= f.quantile(i, l, 0.9);
  }
  return rows.empty() ? NAN : inside / double(rows.size());
}

LeadSeries lead_series(const DischargeForecast& f, const MethodValues& v, const Period& p,
                       size_t l) {
  const size_t leads = f.leads.size();
  LeadSeries out{f.leads[l], {}, {}, {}, {}, {}};
  for (size_t i = 0; i < f.issue_days.size(); ++i) {
    const Day target = f.issue_days[i] + f.leads[l];
    if (!p.contains(target)) continue;
    const size_t row = i * leads + l;
    out.days.push_back(target);
    out.observed.push_back(v.observed[row]);
    out.low.push_back(f.quantile(i, l, 0.1));
    out.high.push_back(f.quantile(i, l, 0.9));
    for (const auto& [name, values] : v.methods) out.methods[name].push_back(values[row]);
  }
  return out;
}

}  // namespace

Evaluation evaluate_discharge(DischargeModel& m, const DailySeries& s, const Period& p,
                              const std::string& period_name) {
  const HydrologyConfig& c = m.config;
  std::vector<Day> issues;
  for (Day t = p.first - c.lead_times.back(); t <= p.last; ++t) issues.push_back(t);  // sorted
  const DischargeForecast f = predict_discharge(m, s, issues);
  const MethodValues v = method_values(m, s, f);
  Evaluation e{period_name, p, c.mode, {}, {}};
  const size_t leads = f.leads.size();
  for (size_t l = 0; l < leads; ++l) {
    // The days every method has a value for, inside the period.
    std::vector<size_t> rows;
    for (size_t i = 0; i < f.issue_days.size(); ++i) {
      const size_t row = i * leads + l;
      bool ok = p.contains(f.issue_days[i] + f.leads[l]) && !std::isnan(v.observed[row]);
      for (const auto& [name, values] : v.methods) ok = ok && !std::isnan(values[row]);
      if (ok) rows.push_back(row);
    }
    if (rows.size() < 2)
      throw std::runtime_error(c.path + ": fewer than 2 days with observed discharge in the " +
                               period_name + " period " + format_date(p.first) + " to " +
                               format_date(p.last) + " (lead " + std::to_string(f.leads[l]) + ")");
    e.series.push_back(lead_series(f, v, p, l));
    LeadEvaluation le{f.leads[l], {}, band_coverage(f, v.observed, rows)};
    for (const auto& [name, values] : v.methods) {
      std::vector<double> sim, obs;
      for (size_t row : rows) sim.push_back(values[row]), obs.push_back(v.observed[row]);
      le.methods[name] = skill_scores(sim, obs);
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
    leads.push_back({{"lead_days", le.lead},
                     {"methods", methods},
                     {"network_band_coverage", number(le.band_coverage)}});
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
  out +=
      "\nShare of observations inside the network's 10th-90th percentile band (0.8 when it is "
      "calibrated):";
  for (const LeadEvaluation& le : e.leads) {
    std::snprintf(line, sizeof line, "%s %.2f at lead %lld", &le == &e.leads.front() ? "" : ",",
                  le.band_coverage, (long long)le.lead);
    out += line;
  }
  out += ".\n";
  return out;
}

namespace {

void add_cell(std::string& line, double x) {
  char text[32] = "";
  if (std::isfinite(x)) std::snprintf(text, sizeof text, "%.4f", x);
  line += ',';
  line += text;
}

}  // namespace

std::string series_csv(const Evaluation& e) {
  std::vector<std::string> baselines;
  for (const char* name : {"gr4j", "persistence", "climatology"})
    if (!e.series.empty() && e.series.front().methods.count(name)) baselines.push_back(name);
  std::string out = "date,lead_days,observed_mm_day,network_mm_day,low_mm_day,high_mm_day";
  for (const std::string& b : baselines) out += "," + b + "_mm_day";
  out += "\n";
  for (size_t k = 0; k < (e.series.empty() ? 0 : e.series.front().days.size()); ++k)
    for (const LeadSeries& s : e.series) {
      if (k >= s.days.size()) continue;
      std::string line = format_date(s.days[k]) + "," + std::to_string(s.lead);
      for (double x : {s.observed[k], s.methods.at("network")[k], s.low[k], s.high[k]})
        add_cell(line, x);
      for (const std::string& b : baselines) add_cell(line, s.methods.at(b)[k]);
      out += line + "\n";
    }
  return out;
}

}  // namespace tessera::hydrology
