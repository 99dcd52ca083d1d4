#include "tessera/formats/csv_table.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace tessera::formats {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The candidate found most often in the first row of `text` outside quotes; 0 when none is.
char detect_delimiter(std::string_view text) {
  const char candidates[] = {',', ';', '\t'};
  size_t count[3] = {};
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n') break;
    for (int i = 0; i < 3; ++i) count[i] += c == candidates[i];
  }
  char best = 0;
  size_t best_count = 0;
  for (int i = 0; i < 3; ++i)
    if (count[i] > best_count) best = candidates[i], best_count = count[i];
  return best;
}

// A cursor over the text, reading one row (which quoted line breaks may spread over several
// lines) at a time and counting lines for errors.
class Parser {
 public:
  Parser(std::string_view text, const std::string& path) : s_(text), path_(path) {}

  void set_delimiter(char d) { delimiter_ = d; }
  std::string_view rest() const { return s_.substr(at_); }
  int64_t line() const { return line_; }

  // Steps over blank lines (blanks only); false at the end of the text.
  bool skip_blank_lines() {
    while (at_ < s_.size()) {
      size_t i = at_;
      while (i < s_.size() && (s_[i] == ' ' || s_[i] == '\t' || s_[i] == '\r')) ++i;
      if (i < s_.size() && s_[i] != '\n') return true;
      at_ = std::min(i + 1, s_.size());
      ++line_;
    }
    return false;
  }

  // The fields of the row starting here, past its line end.
  std::vector<std::string> row() {
    std::vector<std::string> fields;
    while (true) {
      skip_blanks();
      fields.push_back(at_ < s_.size() && s_[at_] == '"' ? quoted() : plain());
      if (at_ < s_.size() && s_[at_] == delimiter_) {
        ++at_;
        continue;
      }
      if (!at_line_end())
        fail_at(path_, line_, "text after a closing quote: '" + std::string(rest_of_line()) + "'");
      end_line();
      return fields;
    }
  }

 private:
  bool blank(char c) const { return (c == ' ' || c == '\t') && c != delimiter_; }
  void skip_blanks() {
    while (at_ < s_.size() && blank(s_[at_])) ++at_;
  }
  bool at_line_end() const {
    return at_ >= s_.size() || s_[at_] == '\n' ||
           (s_[at_] == '\r' && (at_ + 1 == s_.size() || s_[at_ + 1] == '\n'));
  }
  void end_line() {
    if (at_ < s_.size() && s_[at_] == '\r') ++at_;
    if (at_ < s_.size() && s_[at_] == '\n') ++at_, ++line_;
  }
  std::string_view rest_of_line() const {
    const std::string_view r = rest();
    return r.substr(0, std::min(r.find_first_of("\r\n"), r.size()));
  }

  // Up to the next delimiter or line end, without the blanks around it.
  std::string plain() {
    const size_t start = at_;
    while (at_ < s_.size() && s_[at_] != delimiter_ && s_[at_] != '\n') ++at_;
    size_t end = at_;
    while (end > start && (blank(s_[end - 1]) || s_[end - 1] == '\r')) --end;
    return std::string(s_.substr(start, end - start));
  }

  // From the opening quote to the closing one; "" is a quote, line breaks (CRLF read as LF) and
  // delimiters are text. Blanks after the closing quote are dropped.
  std::string quoted() {
    const int64_t first_line = line_;
    std::string field;
    for (++at_;; ++at_) {
      if (at_ >= s_.size()) fail_at(path_, first_line, "a quoted field is not closed");
      const char c = s_[at_];
      if (c == '"' && at_ + 1 < s_.size() && s_[at_ + 1] == '"') {
        field += '"';
        ++at_;
      } else if (c == '"') {
        break;
      } else if (c == '\r' && at_ + 1 < s_.size() && s_[at_ + 1] == '\n') {
        continue;
      } else {
        line_ += c == '\n';
        field += c;
      }
    }
    ++at_;
    skip_blanks();
    return field;
  }

  std::string_view s_;
  const std::string& path_;
  char delimiter_ = ',';
  size_t at_ = 0;
  int64_t line_ = 1;
};

}  // namespace

void fail_at(const std::string& path, int64_t line, const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

void CsvTable::fail(int64_t line, const std::string& what) const {
  fail_at(path, line, what);
}

int CsvTable::column(std::initializer_list<std::string_view> names) const {
  int found = -1;
  for (size_t c = 0; c < header.size(); ++c)
    for (std::string_view n : names)
      if (lower(header[c]) == lower(n)) {
        if (found >= 0)
          fail(header_line, "columns '" + header[size_t(found)] + "' and '" + header[c] +
                                "' both name the same thing");
        found = int(c);
      }
  return found;
}

CsvTable parse_csv_table(std::string_view text, const std::string& path,
                         const CsvOptions& options) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // Excel's byte order mark
  Parser p(text, path);
  CsvTable t;
  t.path = path;
  if (!p.skip_blank_lines()) throw std::runtime_error(path + ": empty, no header row");
  t.header_line = p.line();
  t.delimiter = options.delimiter ? options.delimiter : detect_delimiter(p.rest());
  if (t.delimiter == 0)
    t.fail(t.header_line, "cannot tell the delimiter from the header (no ',', ';' or tab)");
  p.set_delimiter(t.delimiter);
  t.header = p.row();
  while (p.skip_blank_lines()) {
    CsvRow row{p.line(), p.row()};
    if (row.cells.size() != t.header.size())
      t.fail(row.line, std::to_string(row.cells.size()) + " fields, the header has " +
                           std::to_string(t.header.size()));
    t.rows.push_back(std::move(row));
  }
  return t;
}

CsvTable read_csv_table(const std::string& path, const CsvOptions& options) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be opened");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path + ": cannot be read");
  return parse_csv_table(text, path, options);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace tessera::formats
