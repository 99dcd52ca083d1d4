#pragma once
// Delft-FEWS Published Interface (PI) XML time series: the TimeSeries document of
// pi_timeseries.xsd (namespace http://www.wldelft.nl/fews/PI), which operational forecasting
// centres import. Written and read with libxml2.
//
//   PiSeries q{.location = "salmon_river", .parameter = "Q.fcst", .units = "m3/s",
//              .qualifier = pi_quantile_qualifier(0.9), .forecast_time = issue_seconds};
//   q.events = {{issue_seconds + 86400, 12.5}, {issue_seconds + 2 * 86400, NAN}};
//   write_pi_timeseries("forecast.xml", {q});
//
// How a quantile forecast is exported: one series per quantile, told apart by its qualifierId
// ("q0.10", "q0.50", ...), beside the mean with no qualifier. Quantiles are not ensemble members:
// members are exchangeable draws, and FEWS computes ensemble statistics (mean, percentiles,
// exceedance) over them, which over a set of quantiles would be wrong; a qualifier keeps each
// quantile its own named series, which a FEWS idMap maps onto the forecast series (a percentile
// band in its displays) as it does for any other. Real ensemble members (e.g. the seeds of a
// network ensemble) go out with ensembleId and ensembleMemberIndex instead.
//
// Times are Unix seconds (UTC) here and date + time attributes in the document's time zone
// (timeZone, hours ahead of GMT) there. Missing values are written as NaN (missVal NaN, flag 9,
// "missing"; PI's preferred missing value) and read back as NaN, as is any value equal to a
// file's own missVal (-999 in many files) or flagged 9. Values are written with the shortest
// text that reads back to the same double.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::hydrology {

struct PiSeries {
  std::string location{};                  // locationId
  std::string parameter{};                 // parameterId, e.g. "Q.fcst"
  std::string units{};                     // units, e.g. "m3/s" (optional: empty writes none)
  std::string qualifier{};                 // qualifierId (optional), e.g. "q0.90"
  std::string type = "instantaneous";      // or "accumulative"
  int64_t step_seconds = 86400;            // equidistant time step; 0: nonequidistant
  std::optional<int64_t> forecast_time{};  // forecastDate (Unix seconds); none for observations
  std::optional<int> ensemble_member{};    // ensembleMemberIndex
  std::string ensemble_id{};               // ensembleId (optional)
  std::vector<std::pair<int64_t, double>> events{};  // (Unix seconds, value), times increasing
};

// The qualifierId of the quantile at `level` in (0, 1): "q" and the level with at least two
// decimals ("q0.05", "q0.10", "q0.50", "q0.025").
std::string pi_quantile_qualifier(double level);

// The document (UTF-8). Throws std::invalid_argument naming the series when one cannot be
// written: no location or parameter, no events, times not increasing or off the time step, an
// infinite value, an unknown type, text that is not UTF-8 or holds control characters.
// time_zone_hours: the zone the dates are written in, -12..14 (0: GMT).
std::string pi_timeseries_xml(const std::vector<PiSeries>& series, double time_zone_hours = 0);

// Writes the document whole or not at all (engine/io/atomic_file.hpp).
void write_pi_timeseries(const std::string& path, const std::vector<PiSeries>& series,
                         double time_zone_hours = 0);

// Reads a PI TimeSeries document (as written above, or by FEWS). Throws std::runtime_error
// naming the file, and the line where there is one, when it cannot be read, is not well-formed
// XML, is not a PI TimeSeries document, or lacks what a series needs (header, locationId,
// parameterId, timeStep, an event's date, time or value).
std::vector<PiSeries> read_pi_timeseries(const std::string& path);

}  // namespace tessera::hydrology
