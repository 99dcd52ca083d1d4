#pragma once
// What the forecast readers share: forecast values gathered in the order a reader meets them,
// then laid out as WeatherForecasts with every value given once.
#include <functional>
#include <string>
#include <vector>

#include "tessera/hydrology/weather_forecasts.hpp"

namespace tessera::hydrology::detail {

class ForecastCells {
 public:
  // Names where a value came from (a line, an index, a file), for errors.
  using Where = std::function<std::string(int64_t where)>;
  ForecastCells(std::string path, Where where);

  // The index of the variable `name` (added with `units` the first time).
  int variable(const std::string& name, const std::string& units);
  std::vector<std::string> variable_names() const;

  // A lead of `days` as whole days; throws naming the file and `where` unless it is a whole
  // number of days from 1 to 36 600 (a century).
  int64_t lead(double days, int64_t where) const;

  void add(int variable, Day issue, int64_t lead, double value, int64_t where);

  // Throws naming the file when there are no values, a value is given twice for the same issue
  // day, lead and variable, or the issue days and leads span a grid far larger than the values
  // given (a date or lead far from the others: corrupt).
  WeatherForecasts lay_out() const;

 private:
  struct Cell {
    int variable;
    Day issue;
    int64_t lead;
    double value;
    int64_t where;
  };
  void require_given_once(std::vector<Cell> cells) const;

  std::string path_;
  Where where_;
  std::vector<std::pair<std::string, std::string>> variables_;  // name, units
  std::vector<Cell> cells_;
};

}  // namespace tessera::hydrology::detail
