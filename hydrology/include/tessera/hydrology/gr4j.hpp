#pragma once
// GR4J (Perrin, Michel and Andreassian 2003): the daily four-parameter conceptual rainfall-runoff
// model, the classical baseline beside the network, and its hourly form GR4H (Mathevet 2005, as
// airGR runs it: percolation constant 21/4 instead of 9/4, unit hydrographs of exponent 1.25
// instead of 2.5). Inputs and outputs are depths per step: mm/day for GR4J, mm/h for GR4H.
//
//   Gr4jParams p = calibrate_gr4j(precip, pet, observed, {.warmup = 365}).params;
//   std::vector<double> q = run_gr4j(p, precip, pet).discharge;
#include <cstdint>
#include <vector>

namespace tessera::hydrology {

struct Gr4jParams {
  double x1 = 350;      // production store capacity, mm
  double x2 = 0;        // groundwater exchange coefficient, mm/day
  double x3 = 90;       // routing store capacity, mm
  double x4 = 1.7;      // unit hydrograph time base, days
  bool hourly = false;  // GR4H: x2 in mm/h and x4 in hours
};

struct Gr4jState {
  double production = 0;      // mm in the production store
  double routing = 0;         // mm in the routing store
  std::vector<double> uh1{};  // water still to leave unit hydrograph 1 (day 1 first)
  std::vector<double> uh2{};
};

// Stores start 30% (production) and 50% (routing) full, unit hydrographs empty.
Gr4jState initial_gr4j_state(const Gr4jParams& p);

struct Gr4jRun {
  std::vector<double> discharge;           // mm/day
  std::vector<double> actual_evaporation;  // mm/day
  std::vector<double> exchange;            // groundwater exchange gained (+) or lost, mm/day
  Gr4jState end;                           // state after the last day
};

// Runs from `start` (initial_gr4j_state when omitted). precip and pet in mm/day, same length,
// no NaN; throws on parameters outside their physical ranges (x1, x3 > 0, x4 >= 0.5).
Gr4jRun run_gr4j(const Gr4jParams& p, const std::vector<double>& precip,
                 const std::vector<double>& pet, const Gr4jState* start = nullptr);

struct CalibrationOptions {
  int64_t warmup = 365;    // first steps not scored
  int evaluations = 4000;  // model runs
  uint64_t seed = 0;
  bool hourly = false;  // calibrate GR4H (see gr4j_search_box for its ranges)
};

struct Calibration {
  Gr4jParams params;
  double nse = 0;  // on the scored days
};

// Maximises the Nash-Sutcliffe efficiency against `observed` (NaN = missing) by Dynamically
// Dimensioned Search (Tolson and Shoemaker 2007; x1 and x3 by their logarithms) over
// x1 in [1, 3000], x2 in [-10, 5],
// x3 in [1, 1000], x4 in [0.5, 10].
Calibration calibrate_gr4j(const std::vector<double>& precip, const std::vector<double>& pet,
                           const std::vector<double>& observed, const CalibrationOptions& o = {});

}  // namespace tessera::hydrology
