#include "tessera/hydrology/cemaneige.hpp"

#include <algorithm>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <string>

#include "tessera/io/settings.hpp"

namespace tessera::hydrology {
namespace {

constexpr double kPrecipitationGradient = 0.00041;  // per m (Valery 2010, as airGR)
constexpr double kPrecipitationCeiling = 4000;      // m: no more growth above
constexpr double kHydrotelBelow = 1500;             // m: input elevations using min and max
constexpr double kMinSpeed = 0.1;                   // melt share of a bare band

// A three-harmonic series over the 366 days of a leap year: mean, then (cos, sin) per harmonic.
struct Harmonics {
  double mean;
  double terms[3][2];
  double at(double day) const {
    double v = mean;
    for (int k = 0; k < 3; ++k) {
      const double phase = 2 * std::numbers::pi * (k + 1) * day / 366;
      v += terms[k][0] * std::cos(phase) + terms[k][1] * std::sin(phase);
    }
    return v;
  }
};

// Fitted by least squares to airGR's GradT_Valery2010 table (rows 1 January .. 31 December of a
// leap year, in degC per 100 m).
constexpr Harmonics kGradientMean{0.53694,
                                  {{-0.07743, 0.03329}, {-0.01987, 0.00882}, {-0.00583, -0.00078}}};
constexpr Harmonics kGradientMin{0.40202,
                                 {{-0.03537, 0.01968}, {-0.00136, -0.00072}, {0.00112, -0.00343}}};
constexpr Harmonics kGradientMax{0.68349,
                                 {{-0.12028, 0.04422}, {-0.05138, 0.01933}, {-0.01292, -0.00516}}};

// The covered share of a pack against a threshold; a zero threshold counts any pack as cover.
double share(double pack, double threshold) {
  return threshold > 0 ? std::min(pack / threshold, 1.0) : 1.0;
}

bool plausible_elevation(double z) {
  return std::isfinite(z) && z >= -500 && z <= 9000;
}

}  // namespace

std::vector<double> hypsometric_bands(const std::vector<double>& curve, int bands) {
  if (curve.size() != 101)
    throw SettingError("hypsometric_curve",
                       "must list 101 elevations (m), the basin's 0th to 100th percentiles, not " +
                           std::to_string(curve.size()));
  for (size_t i = 0; i < curve.size(); ++i)
    if (!plausible_elevation(curve[i]) || (i > 0 && curve[i] < curve[i - 1]))
      throw SettingError("hypsometric_curve",
                         "must be elevations in -500..9000 m, never decreasing: percentile " +
                             std::to_string(i) + " is " + std::to_string(curve[i]));
  if (bands < 1 || bands > 100) throw SettingError("bands", "must be 1 to 100");
  std::vector<double> out;
  int done = 0;  // percentiles given to bands so far
  for (int b = 0; b < bands; ++b) {
    const int n = 100 / bands + (b < 100 % bands ? 1 : 0);
    const size_t at = size_t(done);
    out.push_back(n == 1   ? curve[at]
                  : n == 2 ? (curve[at] + curve[at + 1]) / 2
                           : curve[at + size_t(n / 2) - 1]);
    done += n;
  }
  return out;
}

void check_elevation_bands(const ElevationBands& e) {
  if (e.elevations.size() > 100) throw SettingError("band_elevations", "must be 1 to 100 bands");
  for (double z : e.elevations)
    if (!plausible_elevation(z))
      throw SettingError("band_elevations", "must be elevations in -500..9000 m");
  if (!std::isnan(e.input_elevation) && !plausible_elevation(e.input_elevation))
    throw SettingError("input_elevation", "must be an elevation in -500..9000 m");
  if (!e.elevations.empty() && std::isnan(e.input_elevation))
    throw SettingError("input_elevation",
                       "missing: the bands are extrapolated from the forcing's elevation");
}

TemperatureGradients temperature_gradients(Day date) {
  const CivilDate c = civil_date(date);
  // The table's row: the calendar day's place in a leap year (29 February has its own).
  const double row = day_of_year(day_of({2000, c.month, c.day})) - 1;
  return {kGradientMean.at(row), kGradientMin.at(row), kGradientMax.at(row)};
}

double precipitation_factor(double band_elevation, double input_elevation) {
  if (band_elevation <= kPrecipitationCeiling)
    return std::exp(kPrecipitationGradient * (band_elevation - input_elevation));
  if (input_elevation <= kPrecipitationCeiling)
    return std::exp(kPrecipitationGradient * (kPrecipitationCeiling - input_elevation));
  return 1;
}

double usace_solid_fraction(double temperature) {
  constexpr double all_snow = -1, all_rain = 3;
  if (temperature < all_snow) return 1;
  if (temperature > all_rain) return 0;
  return 1 - (temperature - all_snow) / (all_rain - all_snow);
}

double hydrotel_solid_fraction(double temperature_min, double temperature_max) {
  if (temperature_max <= 0) return 1;
  if (temperature_min >= 0) return 0;
  return 1 - temperature_max / (temperature_max - temperature_min);
}

std::vector<BandWeather> band_weather(const StationDay& day, const ElevationBands& e) {
  check_elevation_bands(e);
  const bool extrapolate = !e.elevations.empty();
  const size_t n = e.bands();
  std::vector<double> rise(n, 0.0), factor(n, 1.0);
  for (size_t b = 0; extrapolate && b < n; ++b) {
    rise[b] = e.elevations[b] - e.input_elevation;
    factor[b] = precipitation_factor(e.elevations[b], e.input_elevation);
  }
  if (e.scale_precipitation) {
    const double mean = std::accumulate(factor.begin(), factor.end(), 0.0) / double(n);
    for (double& f : factor) f /= mean;
  }
  const TemperatureGradients g =
      extrapolate ? temperature_gradients(day.date) : TemperatureGradients{};
  const bool hydrotel = !std::isnan(day.temperature_min) && !std::isnan(day.temperature_max) &&
                        e.input_elevation < kHydrotelBelow;  // false when unknown (NaN)
  std::vector<BandWeather> out(n);
  for (size_t b = 0; b < n; ++b) {
    BandWeather& w = out[b];
    w.precipitation = day.precipitation * factor[b];
    w.temperature = day.temperature - rise[b] * g.mean / 100;
    if (!std::isnan(day.snowfall))
      w.solid_fraction =
          day.precipitation > 0 ? std::clamp(day.snowfall / day.precipitation, 0.0, 1.0) : 0;
    else if (hydrotel)
      w.solid_fraction = hydrotel_solid_fraction(day.temperature_min - rise[b] * g.min / 100,
                                                 day.temperature_max - rise[b] * g.max / 100);
    else
      w.solid_fraction = usace_solid_fraction(w.temperature);
  }
  return out;
}

void check_cemaneige(const CemaNeigeParams& p) {
  auto fail = [](const std::string& what) {
    throw std::invalid_argument("CemaNeige parameters out of range: " + what);
  };
  if (!(p.ctg >= 0 && p.ctg <= 1)) fail("ctg " + std::to_string(p.ctg) + " (need 0..1)");
  if (!(p.kf >= 0 && std::isfinite(p.kf))) fail("kf " + std::to_string(p.kf) + " (need >= 0)");
  if (!p.hysteresis) return;
  if (!(p.accumulation > 0 && std::isfinite(p.accumulation)))
    fail("accumulation " + std::to_string(p.accumulation) + " mm (need > 0)");
  if (!(p.threshold_share >= 0 && p.threshold_share <= 1))
    fail("threshold_share " + std::to_string(p.threshold_share) + " (need 0..1)");
}

double melt_threshold(const CemaNeigeParams& p, double mean_annual_solid_precipitation) {
  return (p.hysteresis ? p.threshold_share : 0.9) * mean_annual_solid_precipitation;
}

double mean_annual_solid_precipitation(const std::vector<std::vector<BandWeather>>& weather) {
  double sum = 0;
  size_t count = 0;
  for (const auto& day : weather)
    for (const BandWeather& w : day) sum += w.solid_fraction * w.precipitation, ++count;
  return count ? sum / double(count) * 365.25 : 0;
}

std::vector<CemaNeigeBand> initial_cemaneige_bands(size_t bands, double threshold) {
  return std::vector<CemaNeigeBand>(bands, CemaNeigeBand{.local_max = threshold});
}

CemaNeigeFlux cemaneige_band_day(CemaNeigeBand& band, const BandWeather& w,
                                 const CemaNeigeParams& p, double threshold) {
  CemaNeigeFlux f;
  f.solid = w.solid_fraction * w.precipitation;
  f.liquid = w.precipitation - f.solid;
  const double before = band.pack;
  band.pack += f.solid;
  band.thermal_state = std::min(0.0, p.ctg * band.thermal_state + (1 - p.ctg) * w.temperature);
  // Melt starts at 0 degC, once the pack itself has warmed to it.
  if (band.thermal_state == 0 && w.temperature > 0)
    f.potential_melt = std::min(band.pack, p.kf * w.temperature);
  if (!p.hysteresis) {
    band.cover = share(band.pack, threshold);
  } else if (f.potential_melt > 0) {
    if (band.pack < band.local_max && band.cover == 1) band.local_max = band.pack;
    band.cover = share(band.pack, band.local_max);
  }
  f.melt = ((1 - kMinSpeed) * band.cover + kMinSpeed) * f.potential_melt;
  band.pack -= f.melt;
  if (!p.hysteresis) {
    band.cover = share(band.pack, threshold);
  } else if (band.pack > before) {  // accumulating: the cover grows with the fresh snow
    band.cover = std::min(band.cover + (f.solid - f.melt) / p.accumulation, 1.0);
    if (band.cover == 1) band.local_max = threshold;
  } else if (band.pack < before) {
    band.cover = share(band.pack, band.local_max);
  }
  return f;
}

double cemaneige_day(std::vector<CemaNeigeBand>& bands, const std::vector<BandWeather>& weather,
                     const CemaNeigeParams& p, double threshold) {
  if (bands.size() != weather.size())
    throw std::invalid_argument("CemaNeige: " + std::to_string(bands.size()) + " band states for " +
                                std::to_string(weather.size()) + " bands of weather");
  double water = 0;
  for (size_t b = 0; b < bands.size(); ++b)
    water += cemaneige_band_day(bands[b], weather[b], p, threshold).water();
  return water / double(bands.size());
}

}  // namespace tessera::hydrology
