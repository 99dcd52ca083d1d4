#pragma once
// Post-hoc calibration of quantile forecasts: a network's quantiles, trained on the training
// period, are too narrow wherever it fits the training years better than years it has not seen.
// Each level gets a shift, in units of the case's own spread, chosen on held-out cases so that
// the share of observations at or below the shifted quantile equals the level there (normalised
// conformalised quantile regression, Romano, Patterson and Candes 2019, one level at a time).
// A wide forecast is widened more than a narrow one, so the band keeps its shape: wide at high
// flows, narrow at low.
//
//   std::vector<double> shift = fit_quantile_shifts(levels, validation_values, observed);
//   apply_quantile_shifts(levels, shift, test_values);   // in place
#include <cstddef>
#include <vector>

namespace tessera::hydrology {

// The `level` quantile of a sorted, non-empty sample: linear between order statistics
// (Hyndman and Fan's type 7).
double sample_quantile(const std::vector<double>& sorted, double level);

// The scale a shift is measured in: the spread between the outermost quantiles, floored so that
// a forecast that states no spread (one member, no quantiles) still gets one.
double quantile_spread(const double* q, size_t levels);

// values: [case][level] sorted along levels; observed: [case], NaN = missing (left out). A level
// with no cases keeps shift 0. Throws std::invalid_argument when the sizes disagree.
std::vector<double> fit_quantile_shifts(const std::vector<double>& levels,
                                        const std::vector<double>& values,
                                        const std::vector<double>& observed);

// Adds shift[k] * spread to each case's k-th quantile, then sorts each case's quantiles (so the
// levels never cross) and floors them at `floor` (discharge is never negative).
void apply_quantile_shifts(const std::vector<double>& levels, const std::vector<double>& shift,
                           std::vector<double>& values, double floor = 0);

}  // namespace tessera::hydrology
