#include "tessera/hydrology/et/basin_table.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "tessera/formats/csv_table.hpp"

namespace tessera::hydrology::et {

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

double number_or_missing(const formats::CsvTable& t, const formats::CsvRow& row, size_t column) {
  const std::string& s = row.cells[column];
  if (s.empty() || s == "NA" || s == "NaN" || s == "nan" || s == "NAN") return kMissing;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size())
    t.fail(row.line, "'" + s + "' in column " + t.header[column] + " is not a number");
  return std::isfinite(v) ? v : kMissing;
}

MonthIndex month_at(const formats::CsvTable& t, int64_t line, const std::string& text) {
  try {
    return parse_month(text);
  } catch (const std::invalid_argument&) {
    t.fail(line, "'" + text + "' is not a month (YYYY-MM or YYYY-MM-DD)");
  }
}

BasinTable wide_table(const formats::CsvTable& t) {
  BasinTable b;
  b.path = t.path;
  for (size_t c = 1; c < t.header.size(); ++c) {
    const MonthIndex m = month_at(t, t.header_line, t.header[c]);
    if (c == 1) b.first = m;
    if (m != b.first + int64_t(c) - 1)
      t.fail(t.header_line, "column " + t.header[c] + " is not the month after " + t.header[c - 1] +
                                ": one column per month, in order");
  }
  b.months = int64_t(t.header.size()) - 1;
  for (const formats::CsvRow& row : t.rows) {
    if (b.index(row.cells[0]) >= 0) t.fail(row.line, "basin " + row.cells[0] + " is listed twice");
    b.basins.push_back(row.cells[0]);
    for (size_t c = 1; c < row.cells.size(); ++c) b.values.push_back(number_or_missing(t, row, c));
  }
  return b;
}

BasinTable long_table(const formats::CsvTable& t, int basin, int date, int value) {
  std::map<std::string, std::map<MonthIndex, double>> rows;
  for (const formats::CsvRow& row : t.rows) {
    const MonthIndex m = month_at(t, row.line, row.cells[size_t(date)]);
    const double v = number_or_missing(t, row, size_t(value));
    if (!rows[row.cells[size_t(basin)]].emplace(m, v).second)
      t.fail(row.line, "basin " + row.cells[size_t(basin)] + " has " + format_month(m) + " twice");
  }
  BasinTable b;
  b.path = t.path;
  MonthIndex last = 0;
  bool any = false;
  for (const auto& [name, series] : rows) {
    b.first = any ? std::min(b.first, series.begin()->first) : series.begin()->first;
    last = any ? std::max(last, series.rbegin()->first) : series.rbegin()->first;
    any = true;
  }
  b.months = any ? last - b.first + 1 : 0;
  for (const auto& [name, series] : rows) {
    b.basins.push_back(name);
    b.values.resize(b.basins.size() * size_t(b.months), kMissing);
    for (const auto& [m, v] : series)
      b.values[(b.basins.size() - 1) * size_t(b.months) + size_t(m - b.first)] = v;
  }
  return b;
}

}  // namespace

double BasinTable::at(size_t basin, MonthIndex month) const {
  if (basin >= basins.size() || month < first || month >= first + months) return kMissing;
  return values[basin * size_t(months) + size_t(month - first)];
}

int64_t BasinTable::index(const std::string& basin) const {
  for (size_t i = 0; i < basins.size(); ++i)
    if (basins[i] == basin) return int64_t(i);
  return -1;
}

BasinTable read_basin_table(const std::string& path) {
  const formats::CsvTable t = formats::read_csv_table(path, {.delimiter = 0});
  if (t.rows.empty()) t.fail(t.header_line, "no basins: the table has a header only");
  const int basin = t.column({"basin", "name", "basin_id", "id"});
  const int date = t.column({"date", "month", "time"});
  const int value = t.column({"value"});
  if (basin >= 0 && date >= 0 && value >= 0) return long_table(t, basin, date, value);
  if (t.header.size() >= 2 && date < 0) return wide_table(t);
  t.fail(t.header_line,
         "neither a wide table (name, then one column per month) nor a long one (basin, date, "
         "value)");
}

}  // namespace tessera::hydrology::et
