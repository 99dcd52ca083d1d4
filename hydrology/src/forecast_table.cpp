// Weather forecasts from delimited text: one table of issue dates, leads and values (wide or
// long), or a folder of tables, one per issue day. Fields are read by formats' CSV reader, cells
// as read_csv_series reads them.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

#include "forecast_cells.hpp"
#include "reader_util.hpp"
#include "tessera/formats/file_order.hpp"
#include "tessera/hydrology/weather_forecasts.hpp"

namespace tessera::hydrology {

using namespace detail;
using formats::CsvRow;
using formats::CsvTable;

namespace {

// Which column holds what; -1 where none does.
struct TableLayout {
  int issue = -1, lead = -1, target = -1, variable = -1, value = -1;
  double lead_days = 1;                                // days per unit of the lead column
  std::vector<std::pair<std::string, int>> variables;  // wide: name, column
  std::map<std::string, std::string> renamed;          // long: name in the table -> variable
};

// The column a mapping names exactly, or the one named like `common` (case-insensitive; -1 when
// none is, two are an error); `setting` is the mapping's field, for messages.
int find_column(const CsvTable& t, const std::string& named,
                std::initializer_list<std::string_view> common, const std::string& setting) {
  if (!named.empty()) {
    const auto it = std::find(t.header.begin(), t.header.end(), named);
    if (it == t.header.end())
      fail(t.path,
           "no column '" + named + "' (" + setting + "; columns: " + list_names(t.header) + ")");
    return int(it - t.header.begin());
  }
  try {
    return t.column(common);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + ": name the one to use with " + setting);
  }
}

void find_dates(const CsvTable& t, const ForecastTableMapping& m, TableLayout& l) {
  l.issue = find_column(t, m.issue_column,
                        {"issue_date", "issue", "issue_time", "issued", "forecast_reference_time",
                         "reference_time", "init_time", "init_date", "run_date", "base_date"},
                        "issue_column");
  if (l.issue < 0)
    fail(t.path,
         "no issue-date column (issue_date, issue, forecast_reference_time, ...; "
         "columns: " +
             list_names(t.header) + "): name it with issue_column");
  l.lead = find_column(t, m.lead_column,
                       {"lead", "lead_days", "lead_day", "lead_time", "leadtime", "forecast_period",
                        "horizon", "step", "days_ahead"},
                       "lead_column");
  l.target = find_column(t, m.target_column,
                         {"target_date", "target", "valid_date", "valid_time", "valid",
                          "forecast_date", "date", "time", "datetime"},
                         "target_column");
  if (l.lead < 0 && l.target < 0)
    fail(t.path,
         "no lead column (lead, lead_days, forecast_period, ...) nor target-date column "
         "(target_date, valid_date, date, ...; columns: " +
             list_names(t.header) + "): name one with lead_column or target_column");
  l.lead_days = unit_seconds(t.path, m.lead_units) / 86400;
}

bool holds_issue_or_lead(const TableLayout& l, int c) {
  return c == l.issue || c == l.lead || c == l.target;
}

void find_long_form(const CsvTable& t, const ForecastTableMapping& m, TableLayout& l) {
  l.variable =
      find_column(t, m.variable_column, {"variable", "variable_name", "var", "parameter", "param"},
                  "variable_column");
  l.value = find_column(t, m.value_column, {"value", "values"}, "value_column");
  if (l.variable >= 0 && l.value < 0)
    fail(t.path, "a variable column ('" + t.header[size_t(l.variable)] +
                     "') but no value column (value): name it with value_column");
  if (l.variable < 0 && !m.value_column.empty())
    fail(t.path,
         "a value column but no variable column (variable, parameter, ...): name it "
         "with variable_column");
  if (l.variable < 0) l.value = -1;  // wide: a column named "value" is a variable
  for (const auto& [name, in_table] : m.columns) l.renamed[in_table] = name;
}

void find_wide_variables(const CsvTable& t, const ForecastTableMapping& m, TableLayout& l) {
  for (const auto& [name, header] : m.columns) {
    const auto it = std::find(t.header.begin(), t.header.end(), header);
    if (it == t.header.end())
      fail(t.path, "no column '" + header + "' for variable '" + name +
                       "' (columns: " + list_names(t.header) + ")");
    l.variables.emplace_back(name, int(it - t.header.begin()));
  }
  if (!m.columns.empty()) return;
  for (int c = 0; c < int(t.header.size()); ++c)
    if (!holds_issue_or_lead(l, c)) l.variables.emplace_back(t.header[size_t(c)], c);
  if (l.variables.empty()) fail(t.path, "no variable columns besides the dates and leads");
}

TableLayout layout_of(const CsvTable& t, const ForecastTableMapping& m) {
  std::set<std::string> seen;
  for (const std::string& name : t.header)
    if (!seen.insert(name).second)
      fail(t.path, "column '" + name + "' appears twice in the header");
  TableLayout l;
  find_dates(t, m, l);
  find_long_form(t, m, l);
  if (l.variable < 0) find_wide_variables(t, m, l);
  return l;
}

Day date_in(const CsvTable& t, const CsvRow& row, int c) {
  try {
    return parse_date(row.cells[size_t(c)]);
  } catch (const std::invalid_argument& e) {
    t.fail(row.line, "column '" + t.header[size_t(c)] + "': " + e.what());
  }
}

// The row's lead: from the lead column, checked against the target date when there is one too.
int64_t lead_of(const CsvTable& t, const CsvRow& row, const TableLayout& l,
                const ForecastCells& cells, Day issue) {
  if (l.lead < 0) return cells.lead(double(date_in(t, row, l.target) - issue), row.line);
  double value = 0;
  const std::string& cell = row.cells[size_t(l.lead)];
  if (!parse_number(cell, value))
    t.fail(row.line, "column '" + t.header[size_t(l.lead)] + "': '" + cell + "' is not a number");
  const int64_t lead = cells.lead(value * l.lead_days, row.line);
  if (l.target >= 0 && date_in(t, row, l.target) != issue + lead)
    t.fail(row.line, "target date " + row.cells[size_t(l.target)] + " is not the issue date " +
                         format_date(issue) + " + lead " + std::to_string(lead) + " days");
  return lead;
}

std::string units_of(const ForecastTableMapping& m, const std::string& name) {
  const auto it = m.units.find(name);
  return it == m.units.end() ? "" : it->second;
}

void read_rows(const CsvTable& t, const ForecastTableMapping& m, const TableLayout& l,
               ForecastCells& cells) {
  std::vector<int> wide;
  for (const auto& [name, c] : l.variables) wide.push_back(cells.variable(name, units_of(m, name)));
  for (const CsvRow& row : t.rows) {
    const Day issue = date_in(t, row, l.issue);
    const int64_t lead = lead_of(t, row, l, cells, issue);
    for (size_t k = 0; k < wide.size(); ++k)
      cells.add(wide[k], issue, lead, cell_value(t, row, l.variables[k].second, m.missing_values),
                row.line);
    if (l.variable < 0) continue;
    std::string name = row.cells[size_t(l.variable)];
    if (name.empty()) t.fail(row.line, "no variable name");
    if (!l.renamed.empty()) {
      const auto it = l.renamed.find(name);
      if (it == l.renamed.end()) continue;  // a variable not asked for
      name = it->second;
    }
    cells.add(cells.variable(name, units_of(m, name)), issue, lead,
              cell_value(t, row, l.value, m.missing_values), row.line);
  }
}

// Every variable asked for was read, and every variable given units.
void require_read(const CsvTable& t, const ForecastTableMapping& m, const TableLayout& l,
                  const ForecastCells& cells) {
  const std::vector<std::string> read = cells.variable_names();
  const auto was_read = [&](const std::string& name) {
    return std::find(read.begin(), read.end(), name) != read.end();
  };
  if (l.variable >= 0)
    for (const auto& [in_table, name] : l.renamed)
      if (!was_read(name))
        fail(t.path, "no variable '" + in_table + "' in column '" + t.header[size_t(l.variable)] +
                         "' (variables: " + list_names(read) + ")");
  for (const auto& [name, units] : m.units)
    if (!was_read(name)) fail(t.path, "units given for '" + name + "', which is not read");
}

// The issue date a file name holds (YYYY-MM-DD, or YYYYMMDD possibly followed by hours and
// minutes); throws naming the file when it holds none or two different ones.
Day issue_date_in_name(const std::string& file) {
  static const std::regex date(R"((\d{4})-(\d{2})-(\d{2})|\d+)");
  const std::string name = std::filesystem::path(file).filename().string();
  std::set<Day> found;
  for (std::sregex_iterator it(name.begin(), name.end(), date), end; it != end; ++it) {
    const std::smatch& m = *it;
    const std::string digits = m[1].matched ? m[1].str() + m[2].str() + m[3].str() : m.str();
    const bool dated = m[1].matched || digits.size() == 8 || digits.size() == 10 ||
                       digits.size() == 12 || digits.size() == 14;
    Day day = 0;
    if (dated && parse_civil(digits.substr(0, 4), digits.substr(4, 2), digits.substr(6, 2), day))
      found.insert(day);
  }
  if (found.empty()) fail(file, "no issue date (YYYY-MM-DD or YYYYMMDD) in the file name");
  if (found.size() > 1)
    fail(file, "two dates in the file name (" + format_date(*found.begin()) + " and " +
                   format_date(*found.rbegin()) + "): which is the issue date?");
  return *found.begin();
}

bool is_table_file(const std::filesystem::directory_entry& e) {
  std::string ext = e.path().extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  const std::string name = e.path().filename().string();
  return e.is_regular_file() && name[0] != '.' && (ext == ".csv" || ext == ".tsv" || ext == ".txt");
}

std::vector<std::string> table_files(const std::string& folder) {
  std::error_code ec;
  if (!std::filesystem::exists(folder, ec)) fail(folder, "folder not found");
  if (!std::filesystem::is_directory(folder, ec)) fail(folder, "not a folder");
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(folder, ec))
    if (is_table_file(e)) files.push_back(e.path().string());
  if (ec) fail(folder, "cannot be listed: " + ec.message());
  if (files.empty()) fail(folder, "no .csv, .tsv or .txt files");
  std::sort(files.begin(), files.end(), formats::natural_less);
  return files;
}

std::vector<std::string> names_of(const TimeSeries& s) {
  std::vector<std::string> names;
  for (const auto& [name, v] : s.variables) names.push_back(name);
  return names;
}

}  // namespace

WeatherForecasts read_forecast_table(const std::string& path, const ForecastTableMapping& m) {
  const CsvTable t = read_whole_table(path, m.delimiter);
  const TableLayout l = layout_of(t, m);
  ForecastCells cells(path, [](int64_t line) { return "line " + std::to_string(line); });
  read_rows(t, m, l, cells);
  require_read(t, m, l, cells);
  return cells.lay_out();
}

WeatherForecasts read_forecast_folder(const std::string& folder, const CsvMapping& m) {
  const std::vector<std::string> files = table_files(folder);
  ForecastCells cells(folder, [&](int64_t k) { return files[size_t(k)]; });
  std::map<Day, std::string> issued;  // issue day -> file
  std::vector<std::string> names;     // the first file's variables
  for (size_t k = 0; k < files.size(); ++k) {
    const Day issue = issue_date_in_name(files[k]);
    if (const auto [it, added] = issued.emplace(issue, files[k]); !added)
      fail(files[k], "issue date " + format_date(issue) + " is also that of " + it->second);
    const TimeSeries s = read_csv_series(files[k], m);
    if (!s.step.daily())
      fail(files[k], "targets " + format_time_step(s.step) +
                         " apart: a folder of forecasts holds daily targets");
    if (k == 0) names = names_of(s);
    if (names_of(s) != names)
      fail(files[k], "has variables " + list_names(names_of(s)) + " where " + files[0] + " has " +
                         list_names(names));
    if (s.first <= issue)
      fail(files[k], "target date " + format_date(s.first) + " is not after the issue date " +
                         format_date(issue) + " (from the file name)");
    for (const auto& [name, v] : s.variables) {
      const int var = cells.variable(name, v.units);
      for (int64_t i = 0; i < s.length; ++i)
        cells.add(var, issue, cells.lead(double(s.first + i - issue), int64_t(k)),
                  v.values[size_t(i)], int64_t(k));
    }
  }
  return cells.lay_out();
}

}  // namespace tessera::hydrology
