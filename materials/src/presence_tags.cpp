#include "tessera/materials/presence_tags.hpp"

#include <charconv>
#include <set>
#include <tuple>

#include "tessera/formats/csv_table.hpp"

namespace tessera::materials {

namespace {

int whole_number(const formats::CsvTable& t, const formats::CsvRow& row, int column) {
  const std::string& cell = row.cells[size_t(column)];
  int v = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (ec != std::errc() || end != cell.data() + cell.size())
    t.fail(row.line, t.header[size_t(column)] + ": '" + cell + "' is not a whole number");
  return v;
}

}  // namespace

PresenceTags read_presence_tags(const std::string& path) {
  const formats::CsvTable t = formats::read_csv_table(path, {.delimiter = 0});
  const int name = t.column({"name", "image", "file", "filename"});
  if (name < 0) t.fail(t.header_line, "no image column (name, image, file or filename)");
  PresenceTags out;
  std::vector<int> phase_columns;
  for (size_t c = 0; c < t.header.size(); ++c)
    if (t.header[c].rfind("has_", 0) == 0 && t.header[c].size() > 4) {
      out.phases.push_back(t.header[c].substr(4));
      phase_columns.push_back(int(c));
    }
  if (phase_columns.empty())
    t.fail(t.header_line, "no phase columns (has_<phase>, 0 or 1 per row)");
  const int y0 = t.column({"y0"}), y1 = t.column({"y1"}), x0 = t.column({"x0"}),
            x1 = t.column({"x1"});
  const int given = (y0 >= 0) + (y1 >= 0) + (x0 >= 0) + (x1 >= 0);
  if (given != 0 && given != 4) t.fail(t.header_line, "a region needs all of y0, y1, x0 and x1");
  std::set<std::tuple<std::string, int, int, int, int>> seen;
  for (const formats::CsvRow& row : t.rows) {
    RegionTag tag{row.cells[size_t(name)], {}, {}, row.line};
    if (tag.image.empty()) t.fail(row.line, "no image name");
    if (given == 4) {
      const int top = whole_number(t, row, y0), bottom = whole_number(t, row, y1);
      const int left = whole_number(t, row, x0), right = whole_number(t, row, x1);
      if (top < 0 || left < 0 || bottom <= top || right <= left)
        t.fail(row.line, "region y " + std::to_string(top) + ".." + std::to_string(bottom) +
                             ", x " + std::to_string(left) + ".." + std::to_string(right) +
                             " is empty or negative");
      tag.region = cv::Rect(left, top, right - left, bottom - top);
    }
    if (!seen.insert({tag.image, tag.region.x, tag.region.y, tag.region.width, tag.region.height})
             .second)
      t.fail(row.line, "'" + tag.image + "' has this region tagged twice");
    for (int c : phase_columns) {
      const int v = whole_number(t, row, c);
      if (v != 0 && v != 1) t.fail(row.line, t.header[size_t(c)] + ": must be 0 or 1");
      tag.present.push_back(v == 1);
    }
    out.tags.push_back(std::move(tag));
  }
  return out;
}

}  // namespace tessera::materials
