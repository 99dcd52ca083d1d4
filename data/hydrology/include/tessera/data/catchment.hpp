#pragma once
// A synthetic snowy catchment with known truth: daily weather from a stochastic generator
// (seasonal temperature with persistent anomalies, Markov-chain wet days with exponential
// amounts, snow below 0 degC, potential evaporation following temperature and season) and the
// discharge of a known GR4J + degree-day snow model with multiplicative noise and a few gauge
// gaps. For the hydrology demo and tests.
#include <cstdint>
#include <vector>

#include "tessera/hydrology/conceptual.hpp"
#include "tessera/hydrology/series.hpp"

namespace tessera::data {

struct CatchmentOptions {
  int64_t years = 12;
  hydrology::Day first = 3652;  // 1980-01-01
  double area_km2 = 1000;
  double noise = 0.05;    // relative standard deviation of the discharge noise
  double missing = 0.01;  // share of discharge days missing from the gauge record
  hydrology::ConceptualModel truth{{320, 0.3, 80, 1.8}, {2.5, 0}, 0};
  uint64_t seed = 0;
};

// Variables: rain, snow, pet (mm/day), tmin, tmax (degC), discharge (m3/s, NaN where missing).
hydrology::TimeSeries make_catchment(const CatchmentOptions& o);

}  // namespace tessera::data
