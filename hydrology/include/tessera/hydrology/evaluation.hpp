#pragma once
// Skill of the network and of the baselines on a period, per lead time: what `tessera
// hydrology evaluate` writes as JSON and as a Markdown table.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/hydrology/discharge_model.hpp"

namespace tessera::hydrology {

struct Scores {
  double nse = 0, kge = 0, r = 0, alpha = 0, beta = 0;
  double percent_bias = 0, peak_flow_error = 0;  // percent
  int64_t days = 0;                              // scored
};

// All scores of sim against obs (NaN in either leaves the day out).
Scores score(const std::vector<double>& sim, const std::vector<double>& obs);

struct LeadEvaluation {
  int64_t lead = 0;
  std::map<std::string, Scores> methods;  // network, gr4j, persistence, climatology
};

struct Evaluation {
  std::string period_name;
  Period period;
  RunMode mode = RunMode::forecasting;
  std::vector<LeadEvaluation> leads;
};

// Every method is scored on the same target days: those in `p` where the observation and every
// method's value exist. Persistence needs observed discharge, so simulation runs leave it out;
// GR4J appears when the model carries a calibrated baseline. GR4J is run with the observed
// forcing up to the target day, as simulation models are.
Evaluation evaluate_discharge(DischargeModel& m, const DailySeries& s, const Period& p,
                              const std::string& period_name);

nlohmann::json to_json(const Evaluation& e);
std::string to_markdown(const Evaluation& e);

}  // namespace tessera::hydrology
