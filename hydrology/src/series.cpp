#include "tessera/hydrology/series.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string_view>

namespace tessera::hydrology {

namespace {

std::string names_of(const TimeSeries& s) {
  std::vector<std::string> names;
  for (const auto& [name, v] : s.variables) names.push_back(name);
  return list_names(names);
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// "hh:mm[:ss[.fff]]" at `text`, then nothing, "Z", "+00:00" or " UTC"; -1 when it is not one.
// Fractions of a second are dropped: no step is shorter than a second.
int64_t seconds_of_day(std::string_view text) {
  auto two = [&](size_t at) {
    const bool digits = at + 2 <= text.size() && std::isdigit((unsigned char)text[at]) &&
                        std::isdigit((unsigned char)text[at + 1]);
    return digits ? (text[at] - '0') * 10 + (text[at + 1] - '0') : -1;
  };
  const int h = two(0), m = text.size() >= 5 && text[2] == ':' ? two(3) : -1;
  int sec = 0;
  size_t end = 5;
  if (text.size() >= 8 && text[5] == ':') {
    sec = two(6);
    end = 8;
    if (end < text.size() && text[end] == '.')
      for (++end; end < text.size() && std::isdigit((unsigned char)text[end]);) ++end;
  }
  const std::string_view rest = text.substr(std::min(end, text.size()));
  if (!(rest.empty() || rest == "Z" || rest == "+00:00" || rest == " UTC")) return -1;
  if (h < 0 || m < 0 || sec < 0 || h > 24 || m > 59 || sec > 59 || (h == 24 && (m || sec)))
    return -1;
  return h * 3600 + m * 60 + sec;
}

}  // namespace

TimeStep parse_time_step(const std::string& text) {
  int64_t n = 0;
  const char* end = text.data() + text.size();
  const auto [unit, ec] = std::from_chars(text.data(), end, n);
  const std::string u(unit, end);
  const int64_t scale = u == "d" || u == "day" || u == "days"           ? 86400
                        : u == "h" || u == "hour" || u == "hours"       ? 3600
                        : u == "min" || u == "minute" || u == "minutes" ? 60
                        : u == "s" || u == "second" || u == "seconds"   ? 1
                                                                        : 0;
  if (ec != std::errc() || n <= 0 || scale == 0)
    throw std::invalid_argument("not a time step: '" + text + "' (e.g. 1d, 1h, 15min)");
  const TimeStep step{n * scale};
  if (step.seconds > 86400 || 86400 % step.seconds != 0)
    throw std::invalid_argument("time step '" + text + "' does not divide a day evenly");
  return step;
}

std::string format_time_step(TimeStep step) {
  const int64_t s = step.seconds;
  if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "min";
  return std::to_string(s) + "s";
}

Day day_of_step(Step s, TimeStep step) {
  return floor_div(s, step.per_day());
}

Step first_step_of(Day d, TimeStep step) {
  return d * step.per_day();
}

Step step_containing(int64_t seconds, TimeStep step) {
  return floor_div(seconds, step.seconds);
}

std::string format_step(Step s, TimeStep step) {
  const Day day = day_of_step(s, step);
  if (step.daily()) return format_date(day);
  const int64_t in_day = (s - first_step_of(day, step)) * step.seconds;
  char text[16];
  if (in_day % 60 == 0)
    std::snprintf(text, sizeof text, " %02d:%02d", int(in_day / 3600), int(in_day / 60 % 60));
  else
    std::snprintf(text, sizeof text, " %02d:%02d:%02d", int(in_day / 3600), int(in_day / 60 % 60),
                  int(in_day % 60));
  return format_date(day) + text;
}

Step parse_step(const std::string& text, TimeStep step, bool day_end) {
  const Day day = parse_date(text);
  if (text.size() == 10) return first_step_of(day + (day_end ? 1 : 0), step) - (day_end ? 1 : 0);
  const int64_t in_day = seconds_of_day(std::string_view(text).substr(11));
  if (in_day < 0)
    throw std::invalid_argument("not a date and time: '" + text +
                                "' (expected YYYY-MM-DD or YYYY-MM-DD hh:mm[:ss], in UTC)");
  return step_containing(day * 86400 + in_day, step);
}

int64_t steps_in_days(double days, TimeStep step) {
  return int64_t(std::llround(days * double(step.per_day())));
}

TimeUnit time_unit(TimeStep step) {
  return step.daily() ? TimeUnit{"days", 1} : TimeUnit{"hours", step.hours()};
}

std::string steps_in_unit(int64_t steps, TimeStep step) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", double(steps) * time_unit(step).per_step);
  return text;
}

const std::vector<double>& TimeSeries::at(const std::string& name) const {
  return variable(name).values;
}

const Variable& TimeSeries::variable(const std::string& name) const {
  const auto it = variables.find(name);
  if (it == variables.end())
    throw std::invalid_argument("no variable '" + name +
                                "' in the series (has: " + names_of(*this) + ")");
  return it->second;
}

TimeSeries slice(const TimeSeries& s, Step from, Step to) {
  if (to < from)
    throw std::invalid_argument("slice: " + format_step(to, s.step) + " is before " +
                                format_step(from, s.step));
  TimeSeries out{from, to - from + 1, {}, s.step};
  // Overlap of [from, to] with the series, as offsets into the series.
  const Step lo = std::max(from, s.first), hi = std::min(to, s.last());
  for (const auto& [name, v] : s.variables) {
    Variable& o = out.variables[name];
    o.units = v.units;
    o.values.assign(size_t(out.length), std::numeric_limits<double>::quiet_NaN());
    if (lo <= hi)
      std::copy(v.values.begin() + (lo - s.first), v.values.begin() + (hi - s.first + 1),
                o.values.begin() + (lo - from));
  }
  return out;
}

void merge_into(TimeSeries& a, const TimeSeries& b) {
  for (const auto& [name, v] : b.variables)
    if (a.has(name))
      throw std::invalid_argument("merge: both series have a variable '" + name + "'");
  if (a.length == 0 && b.length == 0) {
    for (const auto& [name, v] : b.variables) a.variables[name] = v;
    a.step = b.step;
    return;
  }
  if (a.length > 0 && b.length > 0 && a.step != b.step)
    throw std::invalid_argument("merge: a series of " + format_time_step(a.step) +
                                " steps and one of " + format_time_step(b.step) +
                                " (resample one first)");
  // A series without steps has no range of its own to widen the union with.
  if (a.length == 0) a.step = b.step;
  const Step first = a.length == 0 ? b.first : b.length == 0 ? a.first : std::min(a.first, b.first);
  const Step last = a.length == 0   ? b.last()
                    : b.length == 0 ? a.last()
                                    : std::max(a.last(), b.last());
  TimeSeries merged = slice(a, first, last);
  for (auto& [name, v] : slice(b, first, last).variables) merged.variables[name] = std::move(v);
  a = std::move(merged);
}

namespace {

// Means of `ratio` consecutive fine steps, aligned on the coarse steps.
TimeSeries coarsen(const TimeSeries& s, TimeStep to) {
  const int64_t ratio = to.seconds / s.step.seconds;
  const Step first = floor_div(s.first, ratio), last = floor_div(s.last(), ratio);
  TimeSeries out{first, last - first + 1, {}, to};
  for (const auto& [name, v] : s.variables) {
    Variable& o = out.variables[name];
    o.units = v.units;
    o.values.assign(size_t(out.length), std::numeric_limits<double>::quiet_NaN());
    for (int64_t k = 0; k < out.length; ++k) {
      double sum = 0;
      int64_t count = 0;
      for (Step f = (first + k) * ratio; f < (first + k + 1) * ratio; ++f) {
        const double x = value_on(v.values, s.first, f);
        if (!std::isnan(x)) sum += x, ++count;
      }
      if (2 * count >= ratio) o.values[size_t(k)] = sum / double(count);
    }
  }
  return out;
}

// Each value repeated over the `ratio` fine steps it covers.
TimeSeries refine(const TimeSeries& s, TimeStep to) {
  const int64_t ratio = s.step.seconds / to.seconds;
  TimeSeries out{s.first * ratio, s.length * ratio, {}, to};
  for (const auto& [name, v] : s.variables) {
    Variable& o = out.variables[name];
    o.units = v.units;
    o.values.resize(size_t(out.length));
    for (int64_t i = 0; i < out.length; ++i) o.values[size_t(i)] = v.values[size_t(i / ratio)];
  }
  return out;
}

}  // namespace

TimeSeries resample(const TimeSeries& s, TimeStep to) {
  if (s.step == to) return s;
  const bool nested = to.seconds % s.step.seconds == 0 || s.step.seconds % to.seconds == 0;
  if (!nested)
    throw std::invalid_argument("cannot resample " + format_time_step(s.step) + " steps to " +
                                format_time_step(to) + " (neither is a multiple of the other)");
  return to.seconds > s.step.seconds ? coarsen(s, to) : refine(s, to);
}

double value_on(const std::vector<double>& v, Step first, Step step) {
  const int64_t i = step - first;
  return i >= 0 && i < int64_t(v.size()) ? v[size_t(i)] : std::numeric_limits<double>::quiet_NaN();
}

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace tessera::hydrology
