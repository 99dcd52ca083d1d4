#include "csv_table.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace tessera::ecology {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One line's fields per RFC 4180 (quoted fields, "" for a quote); unquoted fields trimmed.
// Quoted line breaks are not supported: file names, times and numbers have none.
std::vector<std::string> split_csv(const std::string& path, int line_no, const std::string& line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    std::string field;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) fail_at(path, line_no, "a quoted field is not closed");
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else if (line[i] == '"') {
          break;
        } else {
          field += line[i];
        }
      }
      ++i;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',')
        fail_at(path, line_no, "text after a closing quote: '" + line.substr(i) + "'");
    } else {
      const size_t end = std::min(line.find(',', i), line.size());
      field = trim(line.substr(i, end - i));
      i = end;
    }
    fields.push_back(field);
    if (i >= line.size()) return fields;
    ++i;  // the comma
  }
}

}  // namespace

void fail_at(const std::string& path, int line, const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

std::string trim(const std::string& s) {
  const auto space = [](unsigned char c) { return std::isspace(c); };
  auto b = std::find_if_not(s.begin(), s.end(), space);
  auto e = std::find_if_not(s.rbegin(), s.rend(), space).base();
  return b < e ? std::string(b, e) : "";
}

int CsvTable::column(std::initializer_list<const char*> names) const {
  int found = -1;
  for (size_t c = 0; c < header.size(); ++c)
    for (const char* n : names)
      if (lower(header[c]) == n) {
        if (found >= 0)
          fail_at(path, 1,
                  "columns '" + header[size_t(found)] + "' and '" + header[c] +
                      "' both name the same thing");
        found = int(c);
      }
  return found;
}

CsvTable read_csv_table(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such file");
  std::ifstream in(path);
  CsvTable t;
  t.path = path;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // Excel's BOM
    if (trim(line).empty()) continue;
    std::vector<std::string> cells = split_csv(path, line_no, line);
    if (t.header.empty()) {
      t.header = std::move(cells);
      continue;
    }
    if (cells.size() != t.header.size())
      fail_at(path, line_no,
              std::to_string(cells.size()) + " fields, the header has " +
                  std::to_string(t.header.size()));
    t.rows.push_back({line_no, std::move(cells)});
  }
  if (t.header.empty()) throw std::runtime_error(path + ": empty, no header row");
  return t;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace tessera::ecology
