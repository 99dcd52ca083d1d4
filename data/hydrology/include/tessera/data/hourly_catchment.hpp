#pragma once
// A synthetic small, flashy catchment at sub-daily resolution with known truth, as a small
// reservoir's operator records it: hourly rain from storms of a few hours and hourly
// temperature (with its daily cycle), daily potential evaporation, and a 5-minute discharge
// gauge: the discharge of a known GR4H model held over its hour, with multiplicative noise and a
// few gaps. Each file on its own step, so that reading it exercises the resampling.
#include <cstdint>

#include "tessera/hydrology/conceptual.hpp"
#include "tessera/hydrology/series.hpp"

namespace tessera::data {

struct HourlyCatchmentOptions {
  int64_t years = 4;
  hydrology::Day first = 10957;  // 2000-01-01
  double area_km2 = 120;
  double noise = 0.05;     // relative standard deviation of the gauge noise
  double missing = 0.002;  // share of gauge hours missing (each a whole hour)
  hydrology::Gr4jParams truth{280, 0, 60, 9, true};  // GR4H: x2 mm/h, x4 hours
  uint64_t seed = 0;
};

struct HourlyCatchment {
  hydrology::TimeSeries weather;      // 1h: rain (mm per hour), temperature (degC)
  hydrology::TimeSeries evaporation;  // 1d: pet (mm/day)
  hydrology::TimeSeries gauge;        // 5min: discharge (m3/s, NaN where missing)
};

HourlyCatchment make_hourly_catchment(const HourlyCatchmentOptions& o);

}  // namespace tessera::data
