#pragma once
// Skill of the network and of the baselines on a period, per lead time: what `tessera
// hydrology evaluate` writes as JSON and as a Markdown table.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/hydrology/discharge_model.hpp"
#include "tessera/hydrology/metrics.hpp"
#include "tessera/hydrology/probabilistic.hpp"

namespace tessera::hydrology {

struct LeadEvaluation {
  int64_t lead = 0;
  std::map<std::string, Scores> methods;  // network, gr4j, persistence, climatology
  // Share of the observations inside the forecast's 10th-90th percentile band: 0.8 when the
  // band is calibrated, less when it is too narrow.
  double band_coverage = 0;
  std::map<int, double> coverage{};       // central band in percent (50, 80, 90) -> share inside
  double crps = NAN;                      // of the forecast's quantiles, mm/day (0 is perfect)
  double crps_members = NAN;              // of the network's members as an ensemble, mm/day
  std::map<std::string, double> brier{};  // threshold name -> Brier score of exceeding it
  std::map<std::string, double> peak_timing{};  // method -> mean |days| between observed and
                                                // predicted peaks (peak_timing_error)
  Reliability reliability{};
};

// The values behind one lead's scores on every target day of the period (NaN where missing),
// in mm/day: what users plot and compare day by day.
struct LeadSeries {
  int64_t lead = 0;                         // steps
  std::vector<Step> steps;                  // target steps
  std::vector<double> observed, low, high;  // low, high: the network's 10th and 90th percentiles
  std::map<std::string, std::vector<double>> methods;  // as in LeadEvaluation
};

struct Evaluation {
  std::string period_name;
  Period period;
  TimeStep step{};  // of the period, the leads and the series' steps
  RunMode mode = RunMode::forecasting;
  std::vector<LeadEvaluation> leads;
  std::vector<LeadSeries> series;  // one per lead, in the same order
  std::string choice{};            // what training chose on the validation period
  std::vector<Candidate> candidates{};
};

// Every method is scored on the same target days: those in `p` where the observation and every
// method's value exist. Persistence needs observed discharge, so simulation runs leave it out;
// GR4J appears when the model carries a calibrated baseline: in simulation mode its run over
// the observed weather, in forecasting mode its forecast from the issue day (baselines.hpp),
// which like the network reads nothing after the issue day.
Evaluation evaluate_discharge(DischargeModel& m, const TimeSeries& s, const Period& p,
                              const std::string& period_name);

nlohmann::json to_json(const Evaluation& e);
std::string to_markdown(const Evaluation& e);
// date,lead_days,observed_mm_day,network_mm_day,low_mm_day,high_mm_day and a column per
// baseline (<method>_mm_day): a row per target day and lead, empty cells where missing.
std::string series_csv(const Evaluation& e);
// The evaluation of each basin of a model of several.
struct BasinEvaluation {
  std::string basin;
  bool held_out = false;
  Evaluation evaluation;
};
nlohmann::json to_json(const std::vector<BasinEvaluation>& e);
// A table of every basin's NSE, CRPS and 80% band coverage per lead, then each basin's own.
std::string to_markdown(const std::vector<BasinEvaluation>& e);

// The reliability diagram of the forecast's quantiles, a curve per lead.
LinePlot reliability_diagram(const Evaluation& e);

}  // namespace tessera::hydrology
