#pragma once
// A bounded correction of one ET product: ET' = ET (1 + B tanh(f(x))), with f a small network of
// what is known at a cell and month everywhere (the product itself, other products named in the
// config, their long-term means: the cell's climate, the calendar month and the location). The
// bound B keeps every corrected value within B of the product: a correction cannot invent a
// climate, only lean a product towards closure.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tessera/nn/module.hpp"

namespace tessera::hydrology::et {

struct EtCorrectionModel {
  std::unique_ptr<Module> network{};  // [N, features] -> [N, members]
  std::string product{};              // the ET product it corrects
  // What the features are read from: inputs[0] is the product, the rest are other products
  // (precipitation, other ET) by the names the config gave them.
  std::vector<std::string> inputs{};
  bool location = true;  // latitude and longitude are features
  double max_correction = 0.15;
  std::vector<double> mean{}, scale{};  // feature normalisation, from the training rows
  std::vector<std::string> training_basins{}, held_out_basins{};
  int64_t steps = 0;
  std::string config{};  // the config it was trained from (absolute): evaluate's default
};

// Features of a cell-month: per input log1p(value) and log1p(long-term mean), sin and cos of the
// calendar month, and (with location) lat / 90, sin and cos of the longitude.
int64_t feature_count(size_t inputs, bool location);
// Writes feature_count values to `out`; NaN when an input or its mean is missing.
void cell_features(const double* values, const double* climate, size_t inputs, int month,
                   double lat, double lon, bool location, float* out);

// One member: two tanh layers of `hidden`, then one output, the last layer zero so an untrained
// member corrects nothing.
std::unique_ptr<Module> make_correction_network(int64_t features, int64_t hidden, uint64_t seed);
// Members trained apart, side by side: [N, features] -> [N, members].
std::unique_ptr<Module> ensemble_of(std::vector<std::unique_ptr<Module>> members);

// Features ([rows][feature_count]) as the network reads them, in place: each less the model's
// mean, over its scale; a missing value (NaN) becomes 0. Returns which rows missed any.
std::vector<bool> normalise_features(const EtCorrectionModel& m, std::vector<float>& features);

// The factor c of ET' = ET (1 + c) for rows of features ([rows][feature_count], not
// normalised): the mean over members of B tanh(output). 0 for rows missing an input (no
// correction where the model cannot see).
std::vector<double> correction_factors(EtCorrectionModel& m, const std::vector<float>& features);

void save_et_model(const std::string& path, EtCorrectionModel& m);
// Throws std::runtime_error naming the file when it is not an ET correction model.
EtCorrectionModel load_et_model(const std::string& path);

}  // namespace tessera::hydrology::et
