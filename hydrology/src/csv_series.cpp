// Generic delimited tables: a header row, dates as ISO text or year / month / day columns, one
// column per variable. Fields are read by formats' CSV reader (quoted fields may hold the
// delimiter).
#include <algorithm>
#include <stdexcept>

#include "reader_util.hpp"
#include "tessera/formats/csv_table.hpp"
#include "tessera/hydrology/readers.hpp"

namespace tessera::hydrology {

using namespace detail;
using formats::CsvRow;
using formats::CsvTable;

namespace {

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

// The column named as tables commonly name their dates (date, Date, time, DateTime, ...), -1 when
// none is; two such are an error, the reader will not choose.
int date_like_column(const CsvTable& t) {
  try {
    return t.column({"date", "dates", "time", "datetime", "date_time", "timestamp", "valid_time"});
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) +
                             " (a date): name the one to use with date_column");
  }
}

void find_dates(const CsvTable& t, const CsvMapping& m, Layout& l) {
  const std::string& path = t.path;
  if (!m.date_column.empty()) {
    l.date = column(l, m.date_column);
    if (l.date < 0)
      fail(path, "no date column '" + m.date_column + "' (columns: " + list_names(l.header) + ")");
    return;
  }
  l.date = date_like_column(t);
  if (l.date >= 0) return;
  // A table without a date column may still date its rows by year, month and day.
  l.year = column(l, m.year_column);
  l.month = column(l, m.month_column);
  l.day = column(l, m.day_column);
  if (l.year < 0 || l.month < 0 || l.day < 0)
    fail(path, "no date column (date, time, datetime, ...) nor '" + m.year_column + "', '" +
                   m.month_column + "', '" + m.day_column + "' columns (columns: " +
                   list_names(l.header) + "): name the date column with date_column");
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

Layout layout_of(const CsvTable& t, const CsvMapping& m) {
  Layout l;
  for (const std::string& name : t.header) {
    if (column(l, name) >= 0) fail(t.path, "column '" + name + "' appears twice in the header");
    l.header.push_back(name);
  }
  find_dates(t, m, l);
  find_variables(t.path, m, l);
  return l;
}

// Seconds since 1970-01-01 00:00 UTC of the row's date (and time of day, when it has one).
int64_t time_of(const CsvTable& t, const CsvRow& row, const Layout& l) {
  if (l.date >= 0) {
    try {
      return parse_step(row.cells[size_t(l.date)], TimeStep{1});
    } catch (const std::invalid_argument& e) {
      t.fail(row.line, e.what());
    }
  }
  Day day = 0;
  const std::string &y = row.cells[size_t(l.year)], &m = row.cells[size_t(l.month)],
                    &d = row.cells[size_t(l.day)];
  if (!parse_civil(y, m, d, day))
    t.fail(row.line, "no such date (year, month, day): " + y + ", " + m + ", " + d);
  return day * 86400;
}

}  // namespace

TimeSeries read_csv_series(const std::string& path, const CsvMapping& mapping) {
  const CsvTable t = read_whole_table(path, mapping.delimiter);
  const Layout l = layout_of(t, mapping);
  Records r;
  for (const auto& [name, c] : l.variables) r.variables[name].units = "";
  for (const auto& [name, units] : mapping.units) {
    if (!r.variables.count(name)) fail(path, "units given for '" + name + "', which is not read");
    r.variables[name].units = units;
  }
  for (const CsvRow& row : t.rows) {
    r.times.push_back(time_of(t, row, l));
    r.where.push_back(row.line);
    for (const auto& [name, c] : l.variables)
      r.variables[name].values.push_back(cell_value(t, row, c, mapping.missing_values));
  }
  return lay_out(path, r, "line");
}

}  // namespace tessera::hydrology
