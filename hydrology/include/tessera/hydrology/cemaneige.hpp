#pragma once
// CemaNeige (Valery, Andreassian and Perrin 2014), the snow routine of airGR's CemaNeige-GR4J:
// the basin split into elevation bands of equal area, the day's precipitation and temperature
// extrapolated to each band, and on each band a snow pack whose melt starts only once its
// thermal state (an exponential smoothing of the air temperature, weight CTG) reaches 0 degC,
// at Kf mm per degC above 0, slowed while the pack is thinner than a threshold (its covered
// share). The optional four-parameter variant (Riboust et al. 2019) replaces that share by a
// hysteresis between accumulation and melt. The water reaching the ground is the mean of the
// bands' rain and melt.
//
//   ElevationBands e{.elevations = hypsometric_bands(curve), .input_elevation = 850};
//   auto w = band_weather({.date = d, .precipitation = 12, .temperature = -1}, e);  // per band
//   CemaNeigeFlux f = cemaneige_band_day(band, w[0], {.ctg = 0.25, .kf = 3.7}, threshold);
#include <cmath>
#include <vector>

#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {

// Where the forcing was measured and the bands the basin is split into. Bands are of equal
// area. Without band elevations, one band at the input's elevation: the forcing as it is.
struct ElevationBands {
  // m, one per band; empty: one band, no extrapolation. (Without `{}`: GCC 12 at -O3 then warns
  // falsely that the vector may be destroyed uninitialised inside larger temporaries.)
  std::vector<double> elevations;
  double input_elevation = NAN;  // m; NaN: unknown (allowed only without band elevations)
  // airGR's PrecipScale: band precipitation rescaled so that their mean is the input's (the
  // gradient redistributes the basin's precipitation, it adds none).
  bool scale_precipitation = true;
  size_t bands() const { return elevations.empty() ? 1 : elevations.size(); }
};

// Throws SettingError naming the field: more than 100 bands, an elevation outside -500..9000
// m, or band elevations without the input's.
void check_elevation_bands(const ElevationBands& e);

// Band elevations (m) of `bands` equal-area bands from a hypsometric curve: 101 elevations, the
// basin's 0th to 100th percentiles. As airGR: 100 percentiles shared out (the first bands one
// more when they do not divide), each band at its percentile just below the middle (5 bands:
// percentiles 9, 29, 49, 69, 89). Throws SettingError (hypsometric_curve, bands) on a curve of
// another length, outside -500..9000 m or decreasing, or bands outside 1..100.
std::vector<double> hypsometric_bands(const std::vector<double>& curve, int bands = 5);

// The altitudinal temperature gradients of Valery (2010) for the day of the year, in degC per
// 100 m of rise (positive: colder higher up), for the daily mean, minimum and maximum. airGR
// tabulates them per calendar day (0.43 to 0.60 for the mean, lowest in December, highest in
// May-June); this is a three-harmonic fit of that table, within 0.0015 (mean), 0.0008 (min)
// and 0.0026 (max) degC / 100 m of every entry.
struct TemperatureGradients {
  double mean = 0, min = 0, max = 0;
};
TemperatureGradients temperature_gradients(Day date);

// airGR's precipitation factor from the input's elevation to a band's, exp(0.00041 * rise),
// with the rise counted up to 4000 m only (above it, precipitation no longer grows).
double precipitation_factor(double band_elevation, double input_elevation);

// Share of precipitation falling as snow. USACE: from the mean temperature, all snow below
// -1 degC, all rain above 3 degC, linear between. Hydrotel (Turcotte): from the minimum and
// maximum, all snow when the maximum is <= 0, all rain when the minimum is >= 0, else
// 1 - tmax / (tmax - tmin).
double usace_solid_fraction(double temperature);
double hydrotel_solid_fraction(double temperature_min, double temperature_max);

// One day of forcing at the input elevation. NaN minimum and maximum: not given; NaN snowfall:
// the phase from the temperatures.
struct StationDay {
  Day date = 0;
  double precipitation = 0;  // mm, all phases
  double temperature = 0;    // mean, degC
  double temperature_min = NAN, temperature_max = NAN;
  double snowfall = NAN;  // mm, the solid part of precipitation, when measured
};

// The day on one band.
struct BandWeather {
  double precipitation = 0;   // mm
  double temperature = 0;     // mean, degC
  double solid_fraction = 0;  // 0..1
};

// The day on each band, as airGR's DataAltiExtrapolation_Valery: temperatures shifted by the
// day's gradients times the elevation difference, precipitation by precipitation_factor
// (rescaled, see ElevationBands). The solid fraction is Hydrotel's on the band's extrapolated
// minimum and maximum when both are given and the input lies below 1500 m, USACE's on the
// band's mean otherwise (airGR's rule; an unknown input elevation means USACE). A measured
// snowfall instead fixes the solid fraction (snowfall / precipitation) on every band.
std::vector<BandWeather> band_weather(const StationDay& day, const ElevationBands& e);

// The calibrated parameters.
struct CemaNeigeParams {
  double ctg = 0.25;  // weight of the previous thermal state, 0..1
  double kf = 3.7;    // degree-day melt factor, mm / degC / day
  bool hysteresis = false;
  // Hysteresis variant only:
  double accumulation = 50;      // Gacc: mm of fresh snow that cover the band again, > 0
  double threshold_share = 0.9;  // of the mean annual solid precipitation: Gthreshold, 0..1
};

// Throws std::invalid_argument naming the parameter out of range.
void check_cemaneige(const CemaNeigeParams& p);

// Gthreshold (mm), the pack above which the band counts as fully covered: 0.9 (the hysteresis
// variant: threshold_share) times the mean annual solid precipitation (mm/year).
double melt_threshold(const CemaNeigeParams& p, double mean_annual_solid_precipitation);

// airGR's default mean annual solid precipitation (mm/year): the mean over days and bands of
// the snowfall, times 365.25; one value for every band. weather[day][band].
double mean_annual_solid_precipitation(const std::vector<std::vector<BandWeather>>& weather);

// What one band carries from day to day.
struct CemaNeigeBand {
  double pack = 0;           // G, mm of water
  double thermal_state = 0;  // eTG, degC, <= 0
  // Gratio, the covered share 0..1. The hysteresis variant carries it from day to day; airGR
  // restarts it at 0 with every run, tessera keeps it in the state so that a run resumed from
  // a stored state equals the whole run.
  double cover = 0;
  double local_max = 0;  // Glocalmax, mm (hysteresis variant)
};

// Empty packs at 0 degC; the hysteresis's local maximum at the threshold.
std::vector<CemaNeigeBand> initial_cemaneige_bands(size_t bands, double threshold);

// One band's day, in mm.
struct CemaNeigeFlux {
  double liquid = 0, solid = 0;  // the precipitation split by the solid fraction
  double potential_melt = 0;     // Kf * T once the thermal state is 0 and T > 0, at most the pack
  double melt = 0;               // (0.9 * cover + 0.1) * potential_melt
  double water() const { return liquid + melt; }
};

// One day on one band: snow joins the pack, the thermal state moves to
// CTG * eTG + (1 - CTG) * T (capped at 0), the pack melts, the cover follows the pack (G /
// Gthreshold, at most 1; the hysteresis variant: rising by accumulation / Gacc, falling with
// the pack below its local maximum).
CemaNeigeFlux cemaneige_band_day(CemaNeigeBand& band, const BandWeather& w,
                                 const CemaNeigeParams& p, double threshold);

// One day over the equal-area bands: the mean of their water (mm).
double cemaneige_day(std::vector<CemaNeigeBand>& bands, const std::vector<BandWeather>& weather,
                     const CemaNeigeParams& p, double threshold);

}  // namespace tessera::hydrology
