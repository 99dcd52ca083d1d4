#include "forecast_cells.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "reader_util.hpp"

namespace tessera::hydrology::detail {

namespace {

constexpr int64_t kMaxLead = 36600;

// How many times more slots than values given a forecast grid may have: weekly issues with a few
// leads leave most slots empty, a bit-flipped year in one date leaves nearly all.
constexpr double kMaxSparseness = 64;
constexpr double kAlwaysAllowedSlots = 1e6;

std::string number(double x) {
  std::string s = std::to_string(x);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

ForecastCells::ForecastCells(std::string path, Where where)
    : path_(std::move(path)), where_(std::move(where)) {}

int ForecastCells::variable(const std::string& name, const std::string& units) {
  for (size_t v = 0; v < variables_.size(); ++v)
    if (variables_[v].first == name) return int(v);
  variables_.emplace_back(name, units);
  return int(variables_.size() - 1);
}

std::vector<std::string> ForecastCells::variable_names() const {
  std::vector<std::string> names;
  for (const auto& [name, units] : variables_) names.push_back(name);
  return names;
}

int64_t ForecastCells::lead(double days, int64_t where) const {
  const double whole = std::round(days);
  if (!(std::abs(days - whole) < 1e-6))
    fail(path_,
         "lead of " + number(days) + " days (" + where_(where) + ") is not a whole number of days");
  if (whole < 1)
    fail(path_, "lead of " + number(days) + " days (" + where_(where) +
                    "): leads count the days after the issue day, from 1");
  if (whole > double(kMaxLead))
    fail(path_, "lead of " + number(days) + " days (" + where_(where) + ") is beyond " +
                    std::to_string(kMaxLead) + " days");
  return int64_t(whole);
}

void ForecastCells::add(int variable, Day issue, int64_t lead, double value, int64_t where) {
  cells_.push_back({variable, issue, lead, value, where});
}

void ForecastCells::require_given_once(std::vector<Cell> cells) const {
  const auto key = [](const Cell& c) { return std::tuple(c.variable, c.issue, c.lead); };
  std::stable_sort(cells.begin(), cells.end(),
                   [&](const Cell& a, const Cell& b) { return key(a) < key(b); });
  const auto twice = std::adjacent_find(
      cells.begin(), cells.end(), [&](const Cell& a, const Cell& b) { return key(a) == key(b); });
  if (twice == cells.end()) return;
  fail(path_, "'" + variables_[size_t(twice->variable)].first + "' issued on " +
                  format_date(twice->issue) + " for lead " + std::to_string(twice->lead) +
                  " is given twice (" + where_(twice->where) + " and " +
                  where_(std::next(twice)->where) + ")");
}

WeatherForecasts ForecastCells::lay_out() const {
  if (cells_.empty()) fail(path_, "no forecast values");
  require_given_once(cells_);
  WeatherForecasts f;
  Day last = std::numeric_limits<Day>::min();
  f.first_issue = std::numeric_limits<Day>::max();
  for (const Cell& c : cells_) {
    f.first_issue = std::min(f.first_issue, c.issue);
    last = std::max(last, c.issue);
    f.max_lead = std::max(f.max_lead, c.lead);
  }
  f.issues = last - f.first_issue + 1;
  const double slots = double(f.issues) * double(f.max_lead) * double(variables_.size());
  if (slots > kMaxSparseness * double(cells_.size()) + kAlwaysAllowedSlots)
    fail(path_, "issue dates from " + format_date(f.first_issue) + " to " + format_date(last) +
                    " with leads up to " + std::to_string(f.max_lead) + " days span " +
                    number(slots) + " values where " + std::to_string(cells_.size()) +
                    " are given: is a date or lead far from the others?");
  for (const auto& [name, units] : variables_)
    f.variables[name] = {std::vector<double>(size_t(f.issues * f.max_lead),
                                             std::numeric_limits<double>::quiet_NaN()),
                         units};
  for (const Cell& c : cells_)
    f.variables[variables_[size_t(c.variable)].first]
        .values[size_t((c.issue - f.first_issue) * f.max_lead + c.lead - 1)] = c.value;
  return f;
}

}  // namespace tessera::hydrology::detail
