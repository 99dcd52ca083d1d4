#pragma once
// Delimited text tables as people keep them beside their data (station series, photo metadata)
// and as tessera writes them: RFC 4180 fields (quoted fields may hold the delimiter, line breaks
// and "" for a quote), a header row, Excel's byte order mark and CRLF line ends tolerated, blank
// lines skipped, blanks around fields dropped. Errors name the file and line:
// "meta.csv:4: 3 fields, the header has 2".
//
//   const CsvTable t = read_csv_table("meta.csv");
//   const int file = t.column({"file", "image"});      // -1 when absent
//   for (const CsvRow& row : t.rows) use(row.cells[size_t(file)]);
//   if (bad) t.fail(row.line, "no file name");
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::formats {

struct CsvOptions {
  // The field separator; 0: whichever of ',', ';' and tab the header row holds most often
  // (outside quotes).
  char delimiter = ',';
};

struct CsvRow {
  int64_t line = 0;  // 1-based line of the file on which the row starts
  std::vector<std::string> cells;
};

struct CsvTable {
  std::string path;  // as errors name it
  char delimiter = ',';
  int64_t header_line = 0;  // 1-based line of the header row
  std::vector<std::string> header;
  std::vector<CsvRow> rows;  // each with as many cells as the header

  // The column named (case-insensitive) by one of `names`, or -1; two such are an error.
  int column(std::initializer_list<std::string_view> names) const;
  // Throws std::runtime_error "<path>:<line>: <what>".
  [[noreturn]] void fail(int64_t line, const std::string& what) const;
};

// Throws std::runtime_error "<path>:<line>: <what>": where a text file is wrong.
[[noreturn]] void fail_at(const std::string& path, int64_t line, const std::string& what);

// The table in `text`; `path` names it in errors. Throws std::runtime_error for a table without
// a header row, an unclosed quote, text after a closing quote, a row whose number of fields is
// not the header's, or (delimiter 0) a header holding none of the delimiters.
CsvTable parse_csv_table(std::string_view text, const std::string& path,
                         const CsvOptions& options = {});
// The same from the file at `path`; also throws when it is missing or unreadable.
CsvTable read_csv_table(const std::string& path, const CsvOptions& options = {});

// `s` as one comma-separated field: quoted, quotes doubled, when it holds a comma, quote or line
// break.
std::string csv_field(const std::string& s);

}  // namespace tessera::formats
