#include "reader_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "tessera/hydrology/units.hpp"

namespace tessera::hydrology::detail {

void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

void require_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "file not found");
  if (!std::filesystem::is_regular_file(path, ec)) fail(path, "not a regular file");
}

std::string read_text(const std::string& path) {
  require_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot be opened");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(path, "cannot be read");
  return text;
}

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t at = 0;
  while (true) {
    at = line.find_first_not_of(" \t\r", at);
    if (at == std::string_view::npos) break;
    const size_t end = std::min(line.find_first_of(" \t\r", at), line.size());
    fields.push_back(line.substr(at, end - at));
    at = end;
  }
  return fields;
}

bool parse_number(std::string_view text, double& value) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // "inf" and "nan" parse too, but are not measurements: an infinite forcing would turn every
  // normalised input into NaN.
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

namespace {

bool is_missing_marker(const std::string& s) {
  std::string lower;
  for (unsigned char c : s) lower += char(std::tolower(c));
  return lower.empty() || lower == "na" || lower == "n/a" || lower == "nan" || lower == "null";
}

// Digits after the decimal point, -1 without one.
int decimals(const std::string& cell) {
  const size_t dot = cell.find('.');
  return dot == std::string::npos ? -1 : int(cell.size() - dot - 1);
}

void require_whole_last_row(const formats::CsvTable& t) {
  if (t.rows.size() < 2) return;
  const std::string last(trim(t.rows.back().cells.back()));
  const std::string above(trim(t.rows[t.rows.size() - 2].cells.back()));
  const bool emptier = last.empty() && !above.empty();
  const bool shorter = decimals(above) > 0 && decimals(last) < decimals(above);
  if (emptier || shorter || (!last.empty() && last.back() == '.'))
    t.fail(t.rows.back().line, "the last line has no line break and its last value ('" + last +
                                   "') is shorter than the one above ('" + above +
                                   "'): the file looks cut short; if it is whole, end it with a "
                                   "line break");
}

}  // namespace

formats::CsvTable read_whole_table(const std::string& path, char delimiter) {
  const std::string text = read_text(path);
  formats::CsvTable t = formats::parse_csv_table(text, path, {.delimiter = delimiter});
  if (!text.empty() && text.back() != '\n') require_whole_last_row(t);
  return t;
}

double cell_value(const formats::CsvTable& t, const formats::CsvRow& row, int column,
                  const std::vector<double>& missing) {
  const std::string& field = row.cells[size_t(column)];
  double v = 0;
  if (is_missing_marker(field)) return std::numeric_limits<double>::quiet_NaN();
  if (!parse_number(field, v))
    t.fail(row.line, "column '" + t.header[size_t(column)] + "': '" + field + "' is not a number");
  const bool marked = std::find(missing.begin(), missing.end(), v) != missing.end();
  return marked ? std::numeric_limits<double>::quiet_NaN() : v;
}

bool parse_civil(std::string_view year, std::string_view month, std::string_view day, Day& out) {
  double y = 0, m = 0, d = 0;
  if (!parse_number(year, y) || !parse_number(month, m) || !parse_number(day, d)) return false;
  if (!(y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31)) return false;
  const CivilDate c{int(y), int(m), int(d)};
  if (y != c.year || m != c.month || d != c.day) return false;  // fractions
  if (!formats::is_valid(c)) return false;                      // 31 April
  out = day_of(c);
  return true;
}

std::vector<Line> lines_of(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Line> lines;
  int64_t number = 0;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view line = text.substr(at, end - at);
    ++number;
    if (!trim(line).empty()) lines.push_back({number, line});
    at = end + 1;
  }
  return lines;
}

namespace {

std::string at(const std::string& where, int64_t w) {
  return where + " " + std::to_string(w);
}

// A record's time as its file would write it: the date alone at midnight.
std::string time_text(int64_t seconds) {
  return seconds % 86400 == 0 ? format_date(Day(seconds / 86400))
                              : format_step(seconds, TimeStep{1});
}

void check_order(const std::string& path, const Records& r, const std::string& where) {
  for (size_t i = 1; i < r.times.size(); ++i) {
    if (r.times[i] == r.times[i - 1])
      fail(path, "duplicate date " + time_text(r.times[i]) + " (" + at(where, r.where[i - 1]) +
                     " and " + at(where, r.where[i]) + ")");
    if (r.times[i] < r.times[i - 1])
      fail(path, "dates out of order: " + time_text(r.times[i]) + " (" + at(where, r.where[i]) +
                     ") after " + time_text(r.times[i - 1]));
  }
}

// Gaps are allowed (they become NaN steps), but the typical spacing must be the step: a series
// mostly stepping by more than a day is monthly or sparse data that must not pass for daily.
TimeStep records_step(const std::string& path, const Records& r) {
  if (r.times.size() < 2) return kDaily;
  std::vector<int64_t> gaps(r.times.size() - 1);
  for (size_t i = 1; i < r.times.size(); ++i) gaps[i - 1] = r.times[i] - r.times[i - 1];
  const auto mid = gaps.begin() + std::ptrdiff_t((gaps.size() - 1) / 2);
  std::nth_element(gaps.begin(), mid, gaps.end());
  const int64_t typical = *mid;
  // Daily readings taken at wandering hours (07:30, then 08:10) are still daily.
  if (typical >= 20 * 3600 && typical <= 28 * 3600) return kDaily;
  if (typical > 86400)
    fail(path, "dates are not daily (typical step " + format_time_step(TimeStep{typical}) + ")");
  if (86400 % typical != 0)
    fail(path, "records " + format_time_step(TimeStep{typical}) +
                   " apart do not divide a day into equal steps");
  return TimeStep{typical};
}

}  // namespace

TimeSeries lay_out(const std::string& path, const Records& r, const std::string& where) {
  if (r.times.empty()) fail(path, "no data rows");
  check_order(path, r, where);
  const TimeStep step = records_step(path, r);
  const Step first = step_containing(r.times.front(), step);
  TimeSeries s{first, step_containing(r.times.back(), step) - first + 1, {}, step};
  for (const auto& [name, v] : r.variables) {
    Variable& out = s.variables[name];
    out.units = v.units;
    out.values.assign(size_t(s.length), std::numeric_limits<double>::quiet_NaN());
    for (size_t i = 0; i < r.times.size(); ++i) {
      double& cell = out.values[size_t(step_containing(r.times[i], step) - first)];
      if (!std::isnan(cell))
        fail(path, "two records in the step of " +
                       format_step(step_containing(r.times[i], step), step) + " (" +
                       at(where, r.where[i]) + ")");
      cell = v.values[i];
    }
    depths_to_rates(out, step);
  }
  return s;
}

double unit_seconds(const std::string& path, std::string unit) {
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  if (unit == "days" || unit == "day" || unit == "d") return 86400;
  if (unit == "hours" || unit == "hour" || unit == "hr" || unit == "h") return 3600;
  if (unit == "minutes" || unit == "minute" || unit == "min") return 60;
  if (unit == "seconds" || unit == "second" || unit == "sec" || unit == "s") return 1;
  fail(path, "time unit '" + unit + "' is not days, hours, minutes or seconds");
}

namespace {

// A cursor over the text after "since".
struct Scanner {
  std::string_view s;
  bool number(int& v) {
    size_t n = 0;
    while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
    if (n == 0 || std::from_chars(s.data(), s.data() + n, v).ec != std::errc()) return false;
    s.remove_prefix(n);
    return true;
  }
  bool skip(char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
  }
  void blanks() {
    while (!s.empty() && (s.front() == ' ' || s.front() == 'T')) s.remove_prefix(1);
  }
};

// "[+-]hh[:mm]", "Z" or "UTC" after the time of day, as seconds east of UTC.
double zone_seconds(Scanner& sc, bool& ok) {
  std::string rest(trim(sc.s));
  if (rest.empty() || rest == "Z" || rest == "UTC" || rest == "GMT") return 0;
  const int sign = rest[0] == '-' ? -1 : 1;
  Scanner z{std::string_view(rest).substr(rest[0] == '+' || rest[0] == '-')};
  int h = 0, m = 0;
  ok = z.number(h) && (z.s.empty() || (z.skip(':') && z.number(m) && z.s.empty()));
  if (ok && h >= 100 && m == 0) m = h % 100, h /= 100;  // "+0530"
  return sign * (h * 3600.0 + m * 60.0);
}

double reference_seconds(const std::string& path, const std::string& units, std::string_view ref) {
  Scanner sc{trim(ref)};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double sec = 0;
  bool ok = sc.number(y) && sc.skip('-') && sc.number(mo) && sc.skip('-') && sc.number(d);
  sc.blanks();
  if (ok && sc.number(h)) {
    ok = sc.skip(':') && sc.number(mi);
    if (ok && sc.skip(':')) {
      size_t n = 0;
      while (n < sc.s.size() &&
             (std::isdigit(static_cast<unsigned char>(sc.s[n])) || sc.s[n] == '.'))
        ++n;
      ok = parse_number(sc.s.substr(0, n), sec);
      sc.s.remove_prefix(n);
    }
  }
  const double zone = ok ? zone_seconds(sc, ok) : 0;
  if (!ok || !formats::is_valid({y, mo, d}))
    fail(path, "cannot read the reference date of time units '" + units + "'");
  return double(day_of({y, mo, d})) * 86400 + h * 3600.0 + mi * 60.0 + sec - zone;
}

}  // namespace

TimeAxis parse_time_axis(const std::string& path, const std::string& units,
                         const std::string& calendar) {
  std::string cal;
  for (unsigned char c : trim(calendar)) cal += char(std::tolower(c));
  const bool mixed = cal.empty() || cal == "standard" || cal == "gregorian";
  if (!mixed && cal != "proleptic_gregorian")
    fail(path, "calendar '" + calendar +
                   "' is not supported (only gregorian, standard or proleptic_gregorian)");
  const size_t since = units.find(" since ");
  if (since == std::string::npos)
    fail(path, "time units '" + units + "' are not '<unit> since <date>'");
  TimeAxis axis{unit_seconds(path, std::string(trim(std::string_view(units).substr(0, since)))),
                reference_seconds(path, units, std::string_view(units).substr(since + 7))};
  // The standard calendar is Julian before the Gregorian reform; those dates would shift.
  if (mixed && axis.epoch_seconds < double(day_of({1582, 10, 15})) * 86400)
    fail(path, "time units '" + units + "' refer to a date before 1582-10-15 in the mixed " +
                   "Julian/Gregorian calendar (not supported)");
  return axis;
}

Day day_containing(double t) {
  return Day(std::floor(t + 1e-6));
}

}  // namespace tessera::hydrology::detail
