#pragma once
// What the discharge network reads, built from a basin's series: every input variable as a value
// channel and a missing flag over the whole series (an InputMatrix), cut into windows per issue
// day, with the weather forecasts of the days ahead, the basin's static attributes and, for a
// hybrid, GR4J's simulated discharge and stores as further variables. Private to the hydrology
// library.
#include <optional>
#include <string>
#include <vector>

#include "tessera/hydrology/conceptual.hpp"
#include "tessera/hydrology/config.hpp"
#include "tessera/hydrology/discharge_model.hpp"
#include "tessera/hydrology/weather_forecasts.hpp"
#include "tessera/tensor/tensor.hpp"

namespace tessera::hydrology::detail {

// Every input variable as two channels over the whole series: normalised value (0 where
// missing) and missing flag. Built once; windows are cut from it. With weather forecasts, the
// forecast variables as issued, normalised as the inputs they stand for, for the `ahead` days
// after each issue day, and one more channel that marks those days.
struct InputMatrix {
  Step first = 0;
  int64_t days = 0, channels = 0;
  std::vector<float> data;     // [channel][day]
  std::vector<float> statics;  // the basin's normalised attributes: a constant channel each
  int64_t ahead = 0;
  Step first_issue = 0;
  int64_t issues = 0, max_lead = 0;
  std::vector<size_t> forecast_input;         // the input each forecast variable stands for
  std::vector<std::vector<float>> forecasts;  // [variable][issue][lead - 1], NaN where none
};

InputMatrix input_matrix(const TimeSeries& s, const std::vector<std::string>& inputs,
                         const Normalisation& norm, const std::vector<std::string>& forecast,
                         int64_t ahead, const WeatherForecasts* w,
                         const std::vector<double>& attributes);

// One window [channels][T + ahead] of the T days ending on `issue` into `out`; days outside the
// series are missing. The `ahead` days after the issue day read nothing observed: only the
// forecasts issued on the issue day itself (the rest is missing), so no later data leaks in.
// Then the basin's attributes, constant, and the channel that marks the days ahead.
void write_window(const InputMatrix& m, Step issue, int64_t steps, float* out);

// [B, channels, T + ahead]: the windows ending on each issue day of one basin.
Tensor input_windows(const InputMatrix& m, const Step* issues, int64_t count, int64_t steps);

// GR4J's simulated discharge (mm/day) and production and routing stores (mm), day by day over
// the series: what a hybrid network reads beside the weather.
inline const char* const kGr4jChannels[] = {"gr4j_discharge", "gr4j_production_store",
                                            "gr4j_routing_store"};

// `s` with those three variables when `hybrid` (GR4J run with `baseline` over the series).
TimeSeries with_gr4j_channels(bool hybrid, const HydrologyConfig& c,
                              const std::optional<ConceptualModel>& baseline, const TimeSeries& s);

// The model's inputs of `s`, in the units of the training data: normalisation statistics are
// in those units.
TimeSeries in_model_units(const DischargeModel& m, const TimeSeries& s);

// The weather forecasts in the units of the model's inputs (they come in those of `s`).
WeatherForecasts forecasts_in_model_units(const DischargeModel& m, const TimeSeries& s,
                                          WeatherForecasts w);

}  // namespace tessera::hydrology::detail
