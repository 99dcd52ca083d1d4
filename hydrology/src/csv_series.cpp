// Generic delimited tables: a header row, dates as ISO text or year / month / day columns, one
// column per variable. Quoted fields lose their quotes; delimiters inside quotes are not
// supported (the tables read here are numbers and dates).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "reader_util.hpp"
#include "tessera/hydrology/readers.hpp"

namespace tessera::hydrology {

using namespace detail;

namespace {

std::string_view unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

char detect_delimiter(const std::string& path, std::string_view header) {
  const char candidates[] = {',', ';', '\t'};
  char best = 0;
  ptrdiff_t best_count = 0;
  for (char c : candidates) {
    const ptrdiff_t n = std::count(header.begin(), header.end(), c);
    if (n > best_count) best = c, best_count = n;
  }
  if (best == 0) fail(path, "cannot tell the delimiter from the header (no ',', ';' or tab)");
  return best;
}

// Which column holds what: the date (or year, month, day) and each variable.
struct Layout {
  std::vector<std::string> header;
  int date = -1, year = -1, month = -1, day = -1;
  std::vector<std::pair<std::string, int>> variables;  // name, column
};

int column(const Layout& l, const std::string& name) {
  const auto it = std::find(l.header.begin(), l.header.end(), name);
  return it == l.header.end() ? -1 : int(it - l.header.begin());
}

void find_dates(const std::string& path, const CsvMapping& m, Layout& l) {
  if (!m.date_column.empty()) l.date = column(l, m.date_column);
  if (l.date >= 0) return;
  // A table without the date column may still date its rows by year, month and day.
  l.year = column(l, m.year_column);
  l.month = column(l, m.month_column);
  l.day = column(l, m.day_column);
  if (l.year < 0 || l.month < 0 || l.day < 0)
    fail(path, "no date column '" + m.date_column + "' nor '" + m.year_column + "', '" +
                   m.month_column + "', '" + m.day_column +
                   "' columns (columns: " + list_names(l.header) + ")");
}

void find_variables(const std::string& path, const CsvMapping& m, Layout& l) {
  for (const auto& [name, header] : m.columns) {
    const int c = column(l, header);
    if (c < 0)
      fail(path, "no column '" + header + "' for variable '" + name +
                     "' (columns: " + list_names(l.header) + ")");
    l.variables.emplace_back(name, c);
  }
  if (!m.columns.empty()) return;
  for (int c = 0; c < int(l.header.size()); ++c)
    if (c != l.date && c != l.year && c != l.month && c != l.day)
      l.variables.emplace_back(l.header[size_t(c)], c);
  if (l.variables.empty()) fail(path, "no columns besides the dates");
}

Layout layout_of(const std::string& path, const CsvMapping& m, std::string_view header_line,
                 char delimiter) {
  Layout l;
  for (std::string_view f : split(header_line, delimiter)) {
    const std::string name(unquote(f));
    if (column(l, name) >= 0) fail(path, "column '" + name + "' appears twice in the header");
    l.header.push_back(name);
  }
  find_dates(path, m, l);
  find_variables(path, m, l);
  return l;
}

bool is_missing_marker(std::string_view s) {
  std::string lower;
  for (unsigned char c : s) lower += char(std::tolower(c));
  return lower.empty() || lower == "na" || lower == "n/a" || lower == "nan" || lower == "null";
}

double value_of(const std::string& path, const Line& line, const std::string& header,
                std::string_view field, const std::vector<double>& missing) {
  field = unquote(field);
  double v = 0;
  if (is_missing_marker(field)) return std::numeric_limits<double>::quiet_NaN();
  if (!parse_number(field, v))
    fail(path, "line " + std::to_string(line.number) + ", column '" + header + "': '" +
                   std::string(field) + "' is not a number");
  const bool marked = std::find(missing.begin(), missing.end(), v) != missing.end();
  return marked ? std::numeric_limits<double>::quiet_NaN() : v;
}

Day date_of(const std::string& path, const Line& line, const Layout& l,
            const std::vector<std::string_view>& fields) {
  const std::string where = "line " + std::to_string(line.number) + ": ";
  if (l.date >= 0) {
    try {
      return parse_date(std::string(unquote(fields[size_t(l.date)])));
    } catch (const std::invalid_argument& e) {
      fail(path, where + e.what());
    }
  }
  Day day = 0;
  const std::string_view y = unquote(fields[size_t(l.year)]), m = unquote(fields[size_t(l.month)]),
                         d = unquote(fields[size_t(l.day)]);
  if (!parse_civil(y, m, d, day))
    fail(path, where + "no such date (year, month, day): " + std::string(y) + ", " +
                   std::string(m) + ", " + std::string(d));
  return day;
}

}  // namespace

DailySeries read_csv_series(const std::string& path, const CsvMapping& mapping) {
  const std::string text = read_text(path);
  const std::vector<Line> lines = lines_of(text);
  if (lines.empty()) fail(path, "empty file");
  const char delimiter =
      mapping.delimiter ? mapping.delimiter : detect_delimiter(path, lines.front().text);
  const Layout l = layout_of(path, mapping, lines.front().text, delimiter);
  Records r;
  for (const auto& [name, c] : l.variables) r.variables[name].units = "";
  for (const auto& [name, units] : mapping.units) {
    if (!r.variables.count(name)) fail(path, "units given for '" + name + "', which is not read");
    r.variables[name].units = units;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string_view> fields = split(lines[i].text, delimiter);
    if (fields.size() != l.header.size())
      fail(path, "line " + std::to_string(lines[i].number) + " has " +
                     std::to_string(fields.size()) + " fields, the header " +
                     std::to_string(l.header.size()));
    r.days.push_back(date_of(path, lines[i], l, fields));
    r.where.push_back(lines[i].number);
    for (const auto& [name, c] : l.variables)
      r.variables[name].values.push_back(
          value_of(path, lines[i], l.header[size_t(c)], fields[size_t(c)], mapping.missing_values));
  }
  return lay_out(path, r, "line");
}

}  // namespace tessera::hydrology
