#pragma once
// The small CSV files ecologists keep beside their photos (capture metadata) and the detection
// lists tessera writes: RFC 4180 fields, a header row, Excel's BOM and CRLF tolerated, blank
// lines skipped. Errors name the file and line.
#include <initializer_list>
#include <string>
#include <vector>

namespace tessera::ecology {

struct CsvRow {
  int line = 0;  // 1-based line in the file
  std::vector<std::string> cells;
};

struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<CsvRow> rows;  // each with as many cells as the header

  // The column named (case-insensitive) by one of `names`, or -1; two such are an error.
  int column(std::initializer_list<const char*> names) const;
};

[[noreturn]] void fail_at(const std::string& path, int line, const std::string& what);

std::string trim(const std::string& s);

// Throws std::runtime_error when the file is missing, empty or malformed.
CsvTable read_csv_table(const std::string& path);

// A field quoted when it holds a comma, quote or line break.
std::string csv_field(const std::string& s);

}  // namespace tessera::ecology
