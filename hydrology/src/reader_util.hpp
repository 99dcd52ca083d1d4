#pragma once
// What the series readers share: one-line errors naming the file, number and date parsing, CF
// time units, and laying records out as consecutive days. Dates are formats' calendar.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/formats/csv_table.hpp"
#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology::detail {

// Throws std::runtime_error "<path>: <what>".
[[noreturn]] void fail(const std::string& path, const std::string& what);

// Throws when `path` is not an existing regular file.
void require_file(const std::string& path);

// The whole file; throws when it is missing or unreadable.
std::string read_text(const std::string& path);

std::string_view trim(std::string_view s);

// The words of a line separated by runs of blanks and tabs (CAMELS' whitespace tables; delimited
// tables go through formats' CSV reader).
std::vector<std::string_view> words(std::string_view line);

// `text` as a whole number (leading '+' and blanks allowed); false when it is not one.
bool parse_number(std::string_view text, double& value);

// A delimited table read by formats' CSV reader (`delimiter` 0: detected from the header). A file
// that does not end in a line break is refused as cut short when its last value is emptier or has
// fewer decimals than the one above it: "12.375" cut to "12.3" still parses, and writers give a
// column one format.
formats::CsvTable read_whole_table(const std::string& path, char delimiter);

// A table cell as a number: NaN when empty, NA, N/A, NaN, null or one of `missing`; throws naming
// the file, line and column when it is not a number.
double cell_value(const formats::CsvTable& t, const formats::CsvRow& row, int column,
                  const std::vector<double>& missing);

// Year, month and day fields as a day; false unless they name a real date.
bool parse_civil(std::string_view year, std::string_view month, std::string_view day, Day& out);

// The non-blank lines of a text with their 1-based numbers (a UTF-8 byte order mark dropped).
struct Line {
  int64_t number;
  std::string_view text;
};
std::vector<Line> lines_of(std::string_view text);

// Rows read in file order; `where` says where each came from (a line or time index) so that
// errors can point at it.
struct Records {
  std::vector<int64_t> times;  // seconds since 1970-01-01 00:00 UTC
  std::vector<int64_t> where;
  std::map<std::string, Variable> variables;  // values in record order
};

// Consecutive steps from the first record to the last, NaN in gaps, on the records' own step:
// the typical spacing, a day or a divisor of one (a record stamped inside a step fills it).
// Depths per record ("mm", "m") of a step shorter than a day become rates (mm/day), as fluxes
// are everywhere. Throws naming `path` and the records when times repeat or go backwards, or
// when the spacing is longer than a day (monthly data) or does not divide one.
TimeSeries lay_out(const std::string& path, const Records& records, const std::string& where);

// Seconds in a CF time unit (days, hours, minutes, seconds and their abbreviations); throws
// naming `path` for others.
double unit_seconds(const std::string& path, std::string unit);

// CF time units "<unit> since <date>[ <time>][ <zone>]" in a Gregorian calendar.
struct TimeAxis {
  double unit_seconds = 86400;
  double epoch_seconds = 0;  // the reference time, seconds since 1970-01-01 00:00 UTC
  // Seconds and days (fractional) since 1970-01-01 of a coordinate value.
  double seconds(double value) const { return epoch_seconds + value * unit_seconds; }
  double days(double value) const { return seconds(value) / 86400.0; }
};
// Throws naming `path` for unknown units or calendars other than gregorian / standard /
// proleptic_gregorian (empty = standard).
TimeAxis parse_time_axis(const std::string& path, const std::string& units,
                         const std::string& calendar);

// The day holding fractional day `t`, forgiving float rounding just below midnight.
Day day_containing(double t);

}  // namespace tessera::hydrology::detail
