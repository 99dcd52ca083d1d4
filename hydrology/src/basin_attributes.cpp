#include "tessera/hydrology/basin_attributes.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "reader_util.hpp"
#include "tessera/formats/csv_table.hpp"

namespace tessera::hydrology {

using namespace detail;
namespace fs = std::filesystem;

namespace {

// The attribute from an already parsed table; false when the table has no such column.
bool attribute_in(const formats::CsvTable& t, const std::string& id_column, const std::string& id,
                  const std::string& name, double& value) {
  const int id_col = t.column({id_column}), col = t.column({name});
  if (id_col < 0) fail(t.path, "no '" + id_column + "' column naming the basins");
  if (col < 0) return false;
  for (const formats::CsvRow& row : t.rows) {
    if (row.cells[size_t(id_col)] != id) continue;
    const std::string& text = row.cells[size_t(col)];
    if (!parse_number(text, value) || !std::isfinite(value))
      t.fail(row.line, name + " '" + text + "' of basin " + id + " is not a number");
    return true;
  }
  fail(t.path, "no basin '" + id + "' (ids are compared as text, leading zeros included)");
}

}  // namespace

double table_attribute(const std::string& path, const std::string& id_column, const std::string& id,
                       const std::string& name, char delimiter) {
  const formats::CsvTable t =
      formats::parse_csv_table(read_text(path), path, {.delimiter = delimiter});
  double value = 0;
  if (!attribute_in(t, id_column, id, name, value))
    fail(path, "no attribute column '" + name + "'");
  return value;
}

double camels_attribute(const std::string& root, const std::string& id, const std::string& name) {
  const std::string dir = root + "/camels_attributes_v2.0";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(dir, "folder not found (CAMELS attributes)");
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.starts_with("camels_") && file.ends_with(".txt")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& path : files) {
    const formats::CsvTable t = formats::parse_csv_table(read_text(path), path, {.delimiter = ';'});
    double value = 0;
    if (attribute_in(t, "gauge_id", id, name, value)) return value;
  }
  fail(dir, "no CAMELS attribute '" + name + "' in its camels_*.txt files");
}

}  // namespace tessera::hydrology
