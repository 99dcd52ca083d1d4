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

MethodValues method_values(DischargeModel& m, const TimeSeries& s, const DischargeForecast& f) {
  const HydrologyConfig& c = m.config;
  const std::vector<double>& q = s.at(c.discharge);
  const bool forecasting = c.mode == RunMode::forecasting;
  const auto clim = discharge_climatology(c, s);
  MethodValues v;
  for (size_t i = 0; i < f.issue_days.size(); ++i)
    for (size_t l = 0; l < f.leads.size(); ++l) {
      const Step t = f.issue_days[i], target = t + f.leads[l];
      v.observed.push_back(value_on(q, s.first, target));
      v.methods["network"].push_back(f.mean(i, l));
      v.methods["climatology"].push_back(clim[size_t(day_of_year(day_of_step(target, s.step)))]);
      if (forecasting) v.methods["persistence"].push_back(value_on(q, s.first, t));
      if (!f.gr4j.empty()) v.methods["gr4j"].push_back(f.gr4j[i * f.leads.size() + l]);
    }
  return v;
}

// The probabilistic scores of one lead on the scored rows: band coverage, CRPS of the
// quantiles and of the network's members, Brier scores of the thresholds, reliability.
void score_distribution(LeadEvaluation& le, const DischargeForecast& f,
                        const std::vector<double>& observed, const std::vector<size_t>& rows,
                        const std::vector<std::pair<std::string, double>>& thresholds) {
  const size_t leads = f.leads.size(), k = f.levels.size();
  std::vector<double> values, members, obs;
  for (size_t row : rows) {
    const size_t i = row / leads, l = row % leads;
    const double* q = f.quantiles(i, l);
    values.insert(values.end(), q, q + k);
    for (int64_t m = 0; m < f.members; ++m) members.push_back(f.member(i, m, l));
    obs.push_back(observed[row]);
  }
  for (int percent : {50, 80, 90}) {
    const Band b = central_band(f.levels, values, percent / 100.0);
    le.coverage[percent] = band_coverage(b.low, b.high, obs);
  }
  le.band_coverage = le.coverage.at(80);
  le.crps = mean_crps(f.levels, values, obs);
  if (f.members > 0) le.crps_members = mean_crps_ensemble(members, f.members, obs);
  for (const auto& [name, threshold] : thresholds) {
    std::vector<double> p;
    for (size_t c = 0; c < obs.size(); ++c)
      p.push_back(exceedance_probability(f.levels, values.data() + c * k, threshold));
    le.brier[name] = brier_score(p, obs, threshold);
  }
  le.reliability = reliability(f.levels, values, obs);
}

LeadSeries lead_series(const DischargeForecast& f, const MethodValues& v, const Period& p,
                       size_t l) {
  const size_t leads = f.leads.size();
  LeadSeries out{f.leads[l], {}, {}, {}, {}, {}};
  for (size_t i = 0; i < f.issue_days.size(); ++i) {
    const Step target = f.issue_days[i] + f.leads[l];
    if (!p.contains(target)) continue;
    const size_t row = i * leads + l;
    out.steps.push_back(target);
    out.observed.push_back(v.observed[row]);
    out.low.push_back(f.quantile(i, l, 0.1));
    out.high.push_back(f.quantile(i, l, 0.9));
    for (const auto& [name, values] : v.methods) out.methods[name].push_back(values[row]);
  }
  return out;
}

}  // namespace

Evaluation evaluate_discharge(DischargeModel& m, const TimeSeries& s, const Period& p,
                              const std::string& period_name) {
  const HydrologyConfig& c = m.config;
  std::vector<Step> issues;
  for (Step t = p.first - c.lead_times.back(); t <= p.last; ++t) issues.push_back(t);  // sorted
  const DischargeForecast f = predict_discharge(m, s, issues);
  const MethodValues v = method_values(m, s, f);
  Evaluation e{period_name, p, s.step, c.mode, {}, {}, m.choice, m.candidates};
  std::vector<std::pair<std::string, double>> thresholds;
  for (const Threshold& t : c.thresholds)
    thresholds.push_back({t.name, threshold_mm_day(t, basin_area(c))});
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
      throw std::runtime_error(c.path + ": fewer than 2 steps with observed discharge in the " +
                               period_name + " period " + format_step(p.first, s.step) + " to " +
                               format_step(p.last, s.step) + " (lead " +
                               std::to_string(f.leads[l]) + ")");
    e.series.push_back(lead_series(f, v, p, l));
    LeadEvaluation le;
    le.lead = f.leads[l];
    score_distribution(le, f, v.observed, rows, thresholds);
    const LeadSeries& daily = e.series.back();  // consecutive target steps: peaks have a time
    // neuralhydrology's windows: 3 days, 12 hours.
    const int64_t window = s.step.daily() ? 3 : std::max<int64_t>(1, steps_in_days(0.5, s.step));
    for (const auto& [name, values] : v.methods) {
      std::vector<double> sim, obs;
      for (size_t row : rows) sim.push_back(values[row]), obs.push_back(v.observed[row]);
      le.methods[name] = skill_scores(sim, obs);
      if (name != "climatology" && name != "persistence")
        le.peak_timing[name] = peak_timing_error(daily.methods.at(name), daily.observed, window) *
                               time_unit(s.step).per_step;
    }
    e.leads.push_back(le);
  }
  return e;
}

nlohmann::json to_json(const Evaluation& e) {
  const TimeUnit unit = time_unit(e.step);
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
                       {unit.name, double(s.days) * unit.per_step}};
    nlohmann::json coverage, brier, timing;
    for (const auto& [percent, share] : le.coverage)
      coverage[std::to_string(percent)] = number(share);
    for (const auto& [name, score] : le.brier) brier[name] = number(score);
    for (const auto& [name, days] : le.peak_timing) timing[name] = number(days);
    leads.push_back({{"lead_" + unit.name, double(le.lead) * unit.per_step},
                     {"methods", methods},
                     {"network_band_coverage", number(le.band_coverage)},
                     {"band_coverage", coverage},
                     {"crps", number(le.crps)},
                     {"crps_members", number(le.crps_members)},
                     {"brier", brier},
                     {"peak_timing_" + unit.name, timing}});
  }
  nlohmann::json candidates = nlohmann::json::array();
  for (const Candidate& c : e.candidates) {
    nlohmann::json nse = nlohmann::json::array();
    for (double x : c.nse) nse.push_back(number(x));
    candidates.push_back({{"name", c.name}, {"validation_nse", nse}, {"network_share", c.weight}});
  }
  return {{"period", e.period_name},
          {"first_day", format_step(e.period.first, e.step)},
          {"last_day", format_step(e.period.last, e.step)},
          {"time_step", format_time_step(e.step)},
          {"mode", mode_name(e.mode)},
          {"units", "discharge in mm/day"},
          {"choice", e.choice},
          {"candidates", candidates},
          {"leads", leads}};
}

namespace {

// CRPS, band coverage and Brier scores per lead, and the peak timing of each method.
std::string distribution_markdown(const Evaluation& e) {
  const std::string unit = time_unit(e.step).name;
  std::string out =
      "\nPredictive distribution (quantiles calibrated on the validation period; CRPS in "
      "mm/day, 0 is perfect; the members' CRPS is that of the ensemble spread alone):\n\n"
      "| lead (" +
      unit + ") | CRPS | members' CRPS | 50% band | 80% band | 90% band |";
  std::string rule = "|---|---|---|---|---|---|";
  if (!e.leads.empty())
    for (const auto& [name, score] : e.leads.front().brier) {
      out += " Brier " + name + " |";
      rule += "---|";
    }
  out += "\n" + rule + "\n";
  char cell[64];
  for (const LeadEvaluation& le : e.leads) {
    std::snprintf(cell, sizeof cell, "| %s | %.3f | %.3f |", steps_in_unit(le.lead, e.step).c_str(),
                  le.crps, le.crps_members);
    out += cell;
    for (int percent : {50, 80, 90}) {
      std::snprintf(cell, sizeof cell, " %.2f |",
                    le.coverage.count(percent) ? le.coverage.at(percent) : NAN);
      out += cell;
    }
    for (const auto& [name, score] : le.brier) {
      std::snprintf(cell, sizeof cell, " %.4f |", score);
      out += cell;
    }
    out += "\n";
  }
  out += "\nPeak timing error (" + unit + " between observed and predicted peaks, mean):";
  for (const LeadEvaluation& le : e.leads)
    for (const auto& [name, days] : le.peak_timing) {
      const bool first = &le == &e.leads.front() && name == le.peak_timing.begin()->first;
      std::snprintf(cell, sizeof cell, "%s%s %.2f at lead %s", first ? " " : "; ", name.c_str(),
                    days, steps_in_unit(le.lead, e.step).c_str());
      out += cell;
    }
  out += ".\n";
  return out;
}

// What training chose on the validation period and each candidate's score there.
std::string choice_markdown(const Evaluation& e) {
  if (e.candidates.empty()) return "";
  std::string out = "\nChosen on the validation period: " + e.choice + ". Validation NSE per lead:";
  char cell[64];
  for (const Candidate& c : e.candidates) {
    out += (&c == &e.candidates.front() ? " " : "; ") + c.name;
    for (size_t l = 0; l < c.nse.size(); ++l) {
      std::snprintf(cell, sizeof cell, " %.3f", c.nse[l]);
      out += cell;
      if (l < c.weight.size()) {
        std::snprintf(cell, sizeof cell, " (network share %.2f)", c.weight[l]);
        out += cell;
      }
    }
  }
  return out + ".\n";
}

}  // namespace

std::string to_markdown(const Evaluation& e) {
  const std::string unit = time_unit(e.step).name;
  std::string out = "Discharge skill, " + e.period_name + " period " +
                    format_step(e.period.first, e.step) + " to " +
                    format_step(e.period.last, e.step) + " (" + mode_name(e.mode) + ", " +
                    format_time_step(e.step) + " steps)\n\n";
  out += "| lead (" + unit +
         ") | method | NSE | KGE | r | alpha | beta | bias % | peak-flow error % | steps |\n";
  out += "|---|---|---|---|---|---|---|---|---|---|\n";
  char line[256];
  for (const LeadEvaluation& le : e.leads)
    for (const char* name : {"network", "gr4j", "persistence", "climatology"}) {
      auto it = le.methods.find(name);
      if (it == le.methods.end()) continue;
      const Scores& s = it->second;
      std::snprintf(line, sizeof line,
                    "| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.1f | %.1f | %lld |\n",
                    steps_in_unit(le.lead, e.step).c_str(), name, s.nse, s.kge, s.r, s.alpha,
                    s.beta, s.percent_bias, s.peak_flow_error, (long long)s.days);
      out += line;
    }
  out +=
      "\nShare of observations inside the network's 10th-90th percentile band (0.8 when it is "
      "calibrated):";
  for (const LeadEvaluation& le : e.leads) {
    std::snprintf(line, sizeof line, "%s %.2f at lead %s", &le == &e.leads.front() ? "" : ",",
                  le.band_coverage, steps_in_unit(le.lead, e.step).c_str());
    out += line;
  }
  out += ".\n";
  out += distribution_markdown(e);
  out += choice_markdown(e);
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
  std::string out = "date,lead_" + time_unit(e.step).name +
                    ",observed_mm_day,network_mm_day,low_mm_day,high_mm_day";
  for (const std::string& b : baselines) out += "," + b + "_mm_day";
  out += "\n";
  for (size_t k = 0; k < (e.series.empty() ? 0 : e.series.front().steps.size()); ++k)
    for (const LeadSeries& s : e.series) {
      if (k >= s.steps.size()) continue;
      std::string line = format_step(s.steps[k], e.step) + "," + steps_in_unit(s.lead, e.step);
      for (double x : {s.observed[k], s.methods.at("network")[k], s.low[k], s.high[k]})
        add_cell(line, x);
      for (const std::string& b : baselines) add_cell(line, s.methods.at(b)[k]);
      out += line + "\n";
    }
  return out;
}

}  // namespace tessera::hydrology

namespace tessera::hydrology {

LinePlot reliability_diagram(const Evaluation& e) {
  std::vector<std::pair<std::string, Reliability>> curves;
  for (const LeadEvaluation& le : e.leads)
    curves.push_back({e.mode == RunMode::simulation ? std::string("simulation")
                                                    : "lead " + steps_in_unit(le.lead, e.step) +
                                                          (e.step.daily() ? " d" : " h"),
                      le.reliability});
  return reliability_plot(curves, "reliability, " + e.period_name + " period " +
                                      format_step(e.period.first, e.step) + " to " +
                                      format_step(e.period.last, e.step));
}

}  // namespace tessera::hydrology

namespace tessera::hydrology {

nlohmann::json to_json(const std::vector<BasinEvaluation>& e) {
  nlohmann::json basins = nlohmann::json::array();
  for (const BasinEvaluation& b : e) {
    nlohmann::json j = to_json(b.evaluation);
    j["basin"] = b.basin;
    j["held_out"] = b.held_out;
    basins.push_back(j);
  }
  return {{"basins", basins}};
}

std::string to_markdown(const std::vector<BasinEvaluation>& e) {
  const TimeStep step = e.empty() ? kDaily : e.front().evaluation.step;
  std::string out =
      "Every basin (held out: the network never trained on its discharge)\n\n"
      "| basin | lead (" +
      time_unit(step).name +
      ") | network NSE | GR4J NSE | persistence NSE | CRPS | 80% band |\n"
      "|---|---|---|---|---|---|---|\n";
  char line[256];
  auto nse = [](const LeadEvaluation& le, const char* method) {
    const auto it = le.methods.find(method);
    return it == le.methods.end() ? NAN : it->second.nse;
  };
  for (const BasinEvaluation& b : e)
    for (const LeadEvaluation& le : b.evaluation.leads) {
      std::snprintf(line, sizeof line, "| %s%s | %s | %.3f | %.3f | %.3f | %.3f | %.2f |\n",
                    b.basin.c_str(), b.held_out ? " (held out)" : "",
                    steps_in_unit(le.lead, step).c_str(), nse(le, "network"), nse(le, "gr4j"),
                    nse(le, "persistence"), le.crps, le.band_coverage);
      out += line;
    }
  for (const BasinEvaluation& b : e)
    out += "\n## Basin " + b.basin + (b.held_out ? " (held out)" : "") + "\n\n" +
           to_markdown(b.evaluation);
  return out;
}

}  // namespace tessera::hydrology
