// The forecast archive itself: look-up, merging, writing, and the synthetic forecasts made from
// observations (perfect and noisy) that stand in where no archive exists.
#include "tessera/hydrology/weather_forecasts.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "tessera/formats/csv_table.hpp"
#include "tessera/hydrology/units.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/nn/init.hpp"

namespace tessera::hydrology {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> names_of(const WeatherForecasts& f) {
  std::vector<std::string> names;
  for (const auto& [name, v] : f.variables) names.push_back(name);
  return names;
}

// f's values on the grid of issue days first .. first + issues - 1 and leads 1..max_lead (NaN
// where f has none).
WeatherForecasts regrid(const WeatherForecasts& f, Step first, int64_t issues, int64_t max_lead) {
  WeatherForecasts out{first, issues, max_lead, {}, f.step};
  for (const auto& [name, v] : f.variables) {
    Variable& o = out.variables[name];
    o.units = v.units;
    o.values.assign(size_t(issues * max_lead), kNaN);
    for (int64_t i = 0; i < issues; ++i)
      for (int64_t lead = 1; lead <= max_lead; ++lead)
        o.values[size_t(i * max_lead + lead - 1)] = f.at(name, first + i, lead);
  }
  return out;
}

}  // namespace

double WeatherForecasts::at(const std::string& variable, Step issue, int64_t lead) const {
  const auto it = variables.find(variable);
  if (it == variables.end())
    throw std::invalid_argument("no variable '" + variable + "' in the weather forecasts (has: " +
                                list_names(names_of(*this)) + ")");
  const int64_t i = issue - first_issue;
  if (i < 0 || i >= issues || lead < 1 || lead > max_lead) return kNaN;
  return it->second.values[size_t(i * max_lead + lead - 1)];
}

void merge_into(WeatherForecasts& a, const WeatherForecasts& b) {
  for (const auto& [name, v] : b.variables)
    if (a.has(name))
      throw std::invalid_argument("merge: both weather forecasts have a variable '" + name + "'");
  // Forecasts without issue days have no range of their own to widen the union with.
  const bool a_empty = a.issues == 0 || a.max_lead == 0;
  const bool b_empty = b.issues == 0 || b.max_lead == 0;
  if (!a_empty && !b_empty && a.step != b.step)
    throw std::invalid_argument("merge: weather forecasts of " + format_time_step(a.step) +
                                " and of " + format_time_step(b.step) + " steps");
  if (a_empty) a.step = b.step;
  const Step first = a_empty   ? b.first_issue
                     : b_empty ? a.first_issue
                               : std::min(a.first_issue, b.first_issue);
  const Step last = a_empty   ? b.last_issue()
                    : b_empty ? a.last_issue()
                              : std::max(a.last_issue(), b.last_issue());
  const int64_t issues = a_empty && b_empty ? 0 : last - first + 1;
  const int64_t max_lead = std::max(a.max_lead, b.max_lead);
  WeatherForecasts merged = regrid(a, first, issues, max_lead);
  for (auto& [name, v] : regrid(b, first, issues, max_lead).variables)
    merged.variables[name] = std::move(v);
  a = std::move(merged);
}

void write_forecast_table(const std::string& path, const WeatherForecasts& f) {
  if (f.variables.empty())
    throw std::invalid_argument("write_forecast_table: no variables to write to " + path);
  std::string out = "issue_date,lead";
  for (const auto& [name, v] : f.variables) out.append(",").append(formats::csv_field(name));
  out += "\n";
  char cell[32];
  for (int64_t i = 0; i < f.issues; ++i) {
    for (int64_t lead = 1; lead <= f.max_lead; ++lead) {
      const size_t k = size_t(i * f.max_lead + lead - 1);
      const bool any = std::any_of(f.variables.begin(), f.variables.end(),
                                   [&](const auto& v) { return !std::isnan(v.second.values[k]); });
      if (!any) continue;
      out += format_step(f.first_issue + i, f.step) + "," + std::to_string(lead);
      for (const auto& [name, v] : f.variables) {
        out += ",";
        if (std::isnan(v.values[k])) continue;
        // The shortest text that reads back as the same double.
        out.append(cell, std::to_chars(cell, cell + sizeof cell, v.values[k]).ptr);
      }
      out += "\n";
    }
  }
  write_atomically(path, out);
}

WeatherForecasts perfect_forecasts(const TimeSeries& observed,
                                   const std::vector<std::string>& variables, int64_t max_lead) {
  if (max_lead < 1)
    throw std::invalid_argument("perfect forecasts: max_lead " + std::to_string(max_lead) +
                                " must be at least 1 day");
  std::vector<std::string> names = variables;
  if (names.empty())
    for (const auto& [name, v] : observed.variables) names.push_back(name);
  WeatherForecasts f{observed.first, observed.length, max_lead, {}, observed.step};
  for (const std::string& name : names) {
    const Variable& obs = observed.variable(name);
    Variable& v = f.variables[name];
    v.units = obs.units;
    v.values.assign(size_t(f.issues * max_lead), kNaN);
    for (int64_t i = 0; i < f.issues; ++i)
      for (int64_t lead = 1; lead <= max_lead; ++lead)
        v.values[size_t(i * max_lead + lead - 1)] =
            value_on(obs.values, observed.first, observed.first + i + lead);
  }
  return f;
}

namespace {

// FNV-1a: a stable number for a variable's name (std::hash may differ between libraries).
uint64_t name_hash(const std::string& name) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A standard normal draw for one forecast value, from the seed and the value's variable, issue
// day and lead alone, by Box-Muller on splitmix64 numbers: std::normal_distribution differs
// between standard libraries and would tie a value to the order of all draws before it.
double standard_normal(uint64_t seed, uint64_t variable, Step issue, int64_t lead) {
  const uint64_t key =
      mix_seed(mix_seed(mix_seed(seed, variable), uint64_t(issue)), uint64_t(lead));
  const double u1 = double((mix_seed(key, 1) >> 11) + 1) * 0x1p-53;  // (0, 1]
  const double u2 = double(mix_seed(key, 2) >> 11) * 0x1p-53;        // [0, 1)
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

bool is_temperature_unit(const std::string& units) {
  if (units.empty()) return false;
  try {
    unit_conversion(units, "degC");
    return true;
  } catch (const std::invalid_argument&) {
    return false;  // not a temperature's unit
  }
}

void require_valid(const ForecastNoise& noise, const WeatherForecasts& f) {
  if (!(noise.relative >= 0) || !(noise.temperature_degc >= 0))
    throw std::invalid_argument("forecast noise: relative (" + std::to_string(noise.relative) +
                                ") and temperature_degc (" +
                                std::to_string(noise.temperature_degc) + ") must be zero or more");
  for (const std::string& name : noise.temperature_variables)
    if (!f.has(name))
      throw std::invalid_argument("forecast noise: temperature variable '" + name +
                                  "' is not among the forecast variables (" +
                                  list_names(names_of(f)) + ")");
}

// Each issued value of `name` changed by `change(value, lead, standard normal draw)`; the draw
// depends only on the seed, the variable, the issue day and the lead.
template <typename Change>
void perturb(WeatherForecasts& f, const std::string& name, uint64_t seed, Change change) {
  std::vector<double>& v = f.variables.at(name).values;
  const uint64_t id = name_hash(name);
  for (int64_t i = 0; i < f.issues; ++i)
    for (int64_t lead = 1; lead <= f.max_lead; ++lead) {
      double& x = v[size_t(i * f.max_lead + lead - 1)];
      if (!std::isnan(x))
        x = change(x, f.first_issue + i, lead, standard_normal(seed, id, f.first_issue + i, lead));
    }
}

// Multiplicative log-normal noise (mean kept); refuses negative values, which are no
// precipitation.
void perturb_relative(WeatherForecasts& f, const std::string& name, const ForecastNoise& noise) {
  perturb(f, name, noise.seed, [&](double x, Step issue, int64_t lead, double z) {
    if (x < 0)
      throw std::invalid_argument(
          "forecast noise: '" + name + "' is " + std::to_string(x) + " on " +
          format_step(issue + lead, f.step) +
          ", negative for multiplicative noise: if it is a temperature, name it in "
          "temperature_variables");
    const double s = noise.relative * std::sqrt(double(lead) * f.step.days());
    return x * std::exp(s * z - s * s / 2);
  });
}

void perturb_additive(WeatherForecasts& f, const std::string& name, const ForecastNoise& noise) {
  perturb(f, name, noise.seed, [&](double x, Step, int64_t lead, double z) {
    return x + noise.temperature_degc * std::sqrt(double(lead) * f.step.days()) * z;
  });
}

}  // namespace

WeatherForecasts noisy_forecasts(const TimeSeries& observed,
                                 const std::vector<std::string>& variables, int64_t max_lead,
                                 const ForecastNoise& noise) {
  WeatherForecasts f = perfect_forecasts(observed, variables, max_lead);
  require_valid(noise, f);
  const std::vector<std::string>& temps = noise.temperature_variables;
  for (const auto& [name, v] : observed.variables) {
    if (!f.has(name)) continue;
    const bool temperature =
        std::find(temps.begin(), temps.end(), name) != temps.end() || is_temperature_unit(v.units);
    if (temperature)
      perturb_additive(f, name, noise);
    else
      perturb_relative(f, name, noise);
  }
  return f;
}

}  // namespace tessera::hydrology
