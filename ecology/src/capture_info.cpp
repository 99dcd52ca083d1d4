#include "tessera/ecology/capture_info.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

#include <libexif/exif-data.h>

#include "tessera/formats/calendar.hpp"
#include "tessera/formats/csv_table.hpp"

namespace tessera::ecology {
namespace {

namespace fs = std::filesystem;

// What is wrong with t, or "" when it is a real date and clock time.
std::string invalid_part(const CaptureTime& t) {
  auto range = [](const char* what, int v, int lo, int hi) {
    return std::string(what) + " " + std::to_string(v) + " is not " + std::to_string(lo) + "-" +
           std::to_string(hi);
  };
  if (t.year < 1 || t.year > 9999) return range("year", t.year, 1, 9999);
  if (t.month < 1 || t.month > 12) return range("month", t.month, 1, 12);
  const int last = formats::days_in_month(t.year, t.month);
  if (t.day < 1 || t.day > last) return range("day", t.day, 1, last);
  if (t.hour < 0 || t.hour > 23) return range("hour", t.hour, 0, 23);
  if (t.minute < 0 || t.minute > 59) return range("minute", t.minute, 0, 59);
  if (t.second < 0 || t.second > 59) return range("second", t.second, 0, 59);
  return "";
}

std::string two(int v) {
  char s[16];
  std::snprintf(s, sizeof s, "%02d", v);
  return s;
}

// ---- EXIF

// The tag's text when it holds a capture time; a blank or malformed one counts as absent.
std::optional<CaptureTime> exif_time(ExifData* data, ExifTag tag) {
  ExifEntry* e = exif_data_get_entry(data, tag);
  if (!e || !e->data || e->format != EXIF_FORMAT_ASCII) return std::nullopt;
  const char* text = reinterpret_cast<const char*>(e->data);
  try {
    return parse_capture_time(std::string(text, strnlen(text, e->size)));
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

// ---- file-name patterns

const char* placeholder_regex(const std::string& name) {
  if (name == "trap") return "([^/]+?)";
  if (name == "yyyy") return "(\\d{4})";
  if (name == "mm" || name == "dd" || name == "HH" || name == "MM" || name == "SS")
    return "(\\d{2})";
  return nullptr;
}

// "a/./b.jpg" and "a/b.jpg" name one photo.
std::string normal_path(const std::string& p) {
  return fs::path(p).lexically_normal().generic_string();
}

std::string base_name(const std::string& p) {
  return fs::path(p).filename().string();
}

}  // namespace

std::string night_of(const CaptureTime& t) {
  const formats::CivilDate date{t.year, t.month, t.day};
  return t.hour >= 12 ? formats::format_date(date)
                      : formats::format_date(formats::day_of(date) - 1);
}

std::string to_string(const CaptureTime& t) {
  return formats::format_date({t.year, t.month, t.day}) + "T" + two(t.hour) + ":" + two(t.minute) +
         ":" + two(t.second);
}

CaptureTime parse_capture_time(const std::string& text) {
  // The date's separators agree: '-' (ISO) or ':' (EXIF). A date alone leaves the time of day
  // unknown: 12:00, so that the date is the night, as for file names without {HH}.
  static const std::regex form(
      R"((\d{4})([-:])(\d{2})\2(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?)");
  std::smatch m;
  if (!std::regex_match(text, m, form))
    throw std::invalid_argument("'" + text +
                                "' is not a capture time (YYYY-MM-DD[ HH:MM[:SS]] or EXIF "
                                "YYYY:MM:DD HH:MM:SS)");
  const auto part = [&](int i, int absent) { return m[i].matched ? std::stoi(m[i]) : absent; };
  const CaptureTime t{.year = part(1, 0),
                      .month = part(3, 0),
                      .day = part(4, 0),
                      .hour = part(5, 12),
                      .minute = part(6, 0),
                      .second = part(7, 0)};
  if (const std::string bad = invalid_part(t); !bad.empty())
    throw std::invalid_argument("capture time '" + text + "': " + bad);
  return t;
}

std::optional<CaptureTime> exif_capture_time(const std::string& path) {
  if (!fs::is_regular_file(path)) throw std::runtime_error(path + ": no such file");
  // NULL when the file holds no EXIF block (a PNG, a JPEG without APP1).
  std::unique_ptr<ExifData, decltype(&exif_data_unref)> data(exif_data_new_from_file(path.c_str()),
                                                             &exif_data_unref);
  if (!data) return std::nullopt;
  for (ExifTag tag :
       {EXIF_TAG_DATE_TIME_ORIGINAL, EXIF_TAG_DATE_TIME_DIGITIZED, EXIF_TAG_DATE_TIME})
    if (auto t = exif_time(data.get(), tag)) return t;
  return std::nullopt;
}

FileNamePattern::FileNamePattern(const std::string& pattern) : pattern_(pattern) {
  const auto bad = [&](const std::string& what) {
    return std::invalid_argument("file-name pattern '" + pattern + "': " + what);
  };
  std::string re;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '{') {
      const size_t close = pattern.find('}', i);
      if (close == std::string::npos) throw bad("'{' without '}'");
      const std::string name = pattern.substr(i + 1, close - i - 1);
      const char* group = placeholder_regex(name);
      if (!group)
        throw bad("unknown placeholder {" + name +
                  "} (known: {trap} {yyyy} {mm} {dd} {HH} {MM} {SS})");
      if (std::count(groups_.begin(), groups_.end(), name))
        throw bad("{" + name + "} appears twice");
      groups_.push_back(name);
      re += group;
      i = close;
    } else if (c == '*') {
      re += ".*";
    } else {
      if (std::strchr("\\^$.|?+()[]{}", c)) re += '\\';
      re += c;
    }
  }
  const auto has = [&](const char* n) { return std::count(groups_.begin(), groups_.end(), n); };
  const bool date = has("yyyy") && has("mm") && has("dd");
  if ((has("yyyy") || has("mm") || has("dd") || has("HH")) && !date)
    throw bad("a date needs all of {yyyy} {mm} {dd}");
  if (has("MM") && !has("HH")) throw bad("{MM} needs {HH}");
  if (has("SS") && !has("MM")) throw bad("{SS} needs {MM}");
  if (!date && !has("trap")) throw bad("gives neither {trap} nor a date");
  regex_ = std::regex(re);
}

std::optional<CaptureInfo> FileNamePattern::match(
    const std::string& relative_path_without_extension) const {
  std::smatch m;
  if (!std::regex_match(relative_path_without_extension, m, regex_)) return std::nullopt;
  CaptureInfo info;
  CaptureTime t{.hour = 12};  // without {HH} the time of day is unknown; noon makes date = night
  bool date = false;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string& name = groups_[g];
    const std::string text = m[int(g) + 1];
    if (name == "trap") {
      info.trap = text;
      continue;
    }
    const int v = std::stoi(text);
    date = true;
    if (name == "yyyy") t.year = v;
    if (name == "mm") t.month = v;
    if (name == "dd") t.day = v;
    if (name == "HH") t.hour = v;
    if (name == "MM") t.minute = v;
    if (name == "SS") t.second = v;
  }
  if (date) {
    if (const std::string bad = invalid_part(t); !bad.empty())
      throw std::invalid_argument("file name '" + relative_path_without_extension + "' (pattern '" +
                                  pattern_ + "'): " + bad);
    info.time = t;
  }
  return info;
}

CaptureTable CaptureTable::read_csv(const std::string& path) {
  const formats::CsvTable csv = formats::read_csv_table(path);
  const int file_col = csv.column({"file", "image", "file_name"});
  const int trap_col = csv.column({"trap"});
  const int time_col = csv.column({"time", "datetime", "captured"});
  if (file_col < 0) csv.fail(csv.header_line, "no 'file' column (or 'image', 'file_name')");
  CaptureTable table;
  table.path_ = path;
  std::map<std::string, int64_t> line_of;  // file -> the line naming it
  for (const formats::CsvRow& row : csv.rows) {
    const std::string file = normal_path(row.cells[size_t(file_col)]);
    if (row.cells[size_t(file_col)].empty()) csv.fail(row.line, "no file name");
    if (auto [it, fresh] = line_of.emplace(file, row.line); !fresh)
      csv.fail(row.line, "'" + file + "' is already on line " + std::to_string(it->second));
    CaptureInfo info;
    if (trap_col >= 0) info.trap = row.cells[size_t(trap_col)];
    if (time_col >= 0 && !row.cells[size_t(time_col)].empty()) {
      try {
        info.time = parse_capture_time(row.cells[size_t(time_col)]);
      } catch (const std::invalid_argument& e) {
        csv.fail(row.line, e.what());
      }
    }
    table.by_file_[file] = info;
    table.by_name_[base_name(file)].push_back(file);
  }
  return table;
}

std::optional<CaptureInfo> CaptureTable::find(const std::string& relative_path) const {
  const std::string want = normal_path(relative_path);
  if (auto it = by_file_.find(want); it != by_file_.end()) return it->second;
  auto named = by_name_.find(base_name(want));
  if (named == by_name_.end()) return std::nullopt;
  // A row and a photo agree when one path ends the other ("north/IMG_1.jpg" and
  // "night1/north/IMG_1.jpg", or a bare "IMG_1.jpg"); "trapA/IMG_1.jpg" is not "trapB/IMG_1.jpg".
  auto ends = [](const fs::path& longer, const fs::path& shorter) {
    std::vector<fs::path> a(longer.begin(), longer.end()), b(shorter.begin(), shorter.end());
    return b.size() <= a.size() && std::equal(b.rbegin(), b.rend(), a.rbegin());
  };
  std::vector<std::string> files;
  for (const std::string& f : named->second)
    if (ends(f, want) || ends(want, f)) files.push_back(f);
  if (files.empty()) return std::nullopt;
  if (files.size() > 1)
    throw std::runtime_error(path_ + ": rows '" + files[0] + "' and '" + files[1] +
                             "' could both be image '" + want +
                             "'; name it by its path under the images folder");
  return by_file_.at(files[0]);
}

CaptureInfo capture_info(const std::string& images_root, const std::string& relative_path,
                         const CaptureSources& s) {
  CaptureInfo info;
  if (s.table)
    if (auto row = s.table->find(relative_path)) info = *row;
  if (s.pattern)
    if (auto m = s.pattern->match(fs::path(relative_path).replace_extension().generic_string())) {
      if (info.trap.empty()) info.trap = m->trap;
      if (!info.time) info.time = m->time;
    }
  if (s.exif && !info.time)
    info.time = exif_capture_time((fs::path(images_root) / relative_path).string());
  return info;
}

}  // namespace tessera::ecology
