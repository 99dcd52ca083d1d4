// CAMELS-US text files: basin-mean forcing, USGS streamflow and the topographic attributes.
#include <algorithm>
#include <filesystem>
#include <limits>

#include "reader_util.hpp"
#include "tessera/formats/csv_table.hpp"
#include "tessera/hydrology/basin_attributes.hpp"
#include "tessera/hydrology/readers.hpp"
#include "tessera/hydrology/units.hpp"

namespace tessera::hydrology {

using namespace detail;
using formats::fail_at;
namespace fs = std::filesystem;

namespace {

constexpr double streamflow_missing = -999;

// The first file (in name order) under `dir`, at any depth, named prefix...suffix: the full data
// set keeps one sub-folder per HUC region, extracts often none.
std::string find_file(const std::string& dir, const std::string& prefix, const std::string& suffix,
                      const std::string& what) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(dir, "folder not found");
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.starts_with(prefix) && name.ends_with(suffix))
      found.push_back(entry.path().string());
  }
  if (found.empty()) fail(dir, "no " + what + " file " + prefix + "*" + suffix);
  return *std::min_element(found.begin(), found.end());
}

// "prcp(mm/day)" -> name "prcp", units "mm/day".
std::pair<std::string, std::string> name_and_units(std::string_view header) {
  const size_t open = header.find('(');
  if (open == std::string_view::npos || header.back() != ')') return {std::string(header), ""};
  return {std::string(header.substr(0, open)),
          std::string(header.substr(open + 1, header.size() - open - 2))};
}

// Three lines of latitude, elevation and area, a header "Year Mnth Day Hr name(units) ...", then
// one row a day.
TimeSeries read_forcing(const std::string& path) {
  const std::string text = read_text(path);
  const std::vector<Line> lines = lines_of(text);
  if (lines.size() < 4) fail(path, "too short for a CAMELS forcing file (no header)");
  const std::vector<std::string_view> header = words(lines[3].text);
  if (header.size() < 5 || header[0] != "Year" || header[1] != "Mnth" || header[2] != "Day")
    fail_at(path, lines[3].number, "expected a header 'Year Mnth Day Hr ...'");
  Records r;
  std::vector<std::string> names;
  for (size_t c = 4; c < header.size(); ++c) {
    const auto [name, units] = name_and_units(header[c]);
    names.push_back(name);
    r.variables[name].units = units;
  }
  for (size_t i = 4; i < lines.size(); ++i) {
    const std::vector<std::string_view> f = words(lines[i].text);
    Day day = 0;
    if (f.size() != header.size())
      fail_at(
          path, lines[i].number,
          std::to_string(f.size()) + " fields, the header has " + std::to_string(header.size()));
    if (!parse_civil(f[0], f[1], f[2], day)) fail_at(path, lines[i].number, "not a date");
    r.times.push_back(day * 86400);
    r.where.push_back(lines[i].number);
    for (size_t c = 4; c < f.size(); ++c) {
      double v = 0;
      if (!parse_number(f[c], v))
        fail_at(path, lines[i].number, "'" + std::string(f[c]) + "' is not a number");
      r.variables[names[c - 4]].values.push_back(v);
    }
  }
  return lay_out(path, r, "line");
}

// "<id> <year> <month> <day> <cfs> <flag>", -999 where missing.
TimeSeries read_streamflow(const std::string& path, const std::string& gauge_id) {
  const std::string text = read_text(path);
  Records r;
  Variable& q = r.variables["qobs_cfs"];
  q.units = "ft3/s";
  for (const Line& line : lines_of(text)) {
    const std::vector<std::string_view> f = words(line.text);
    Day day = 0;
    double v = 0;
    if (f.size() < 5 || f[0] != gauge_id)
      fail_at(path, line.number, "expected '" + gauge_id + " year month day discharge flag'");
    if (!parse_civil(f[1], f[2], f[3], day)) fail_at(path, line.number, "not a date");
    if (!parse_number(f[4], v))
      fail_at(path, line.number, "'" + std::string(f[4]) + "' is not a number");
    r.times.push_back(day * 86400);
    r.where.push_back(line.number);
    q.values.push_back(v == streamflow_missing ? std::numeric_limits<double>::quiet_NaN() : v);
  }
  return lay_out(path, r, "line");
}

}  // namespace

double camels_basin_area(const std::string& root, const std::string& gauge_id) {
  const double area = camels_attribute(root, gauge_id, "area_gages2");
  if (!(area > 0))
    fail(root + "/camels_attributes_v2.0", "area_gages2 of basin " + gauge_id + " is not positive");
  return area;
}

TimeSeries read_camels_basin(const std::string& root, const std::string& gauge_id,
                             const std::string& forcing) {
  const std::string forcing_path = find_file(root + "/basin_mean_forcing/" + forcing,
                                             gauge_id + "_lump_", "forcing_leap.txt", "forcing");
  const std::string flow_path =
      find_file(root + "/usgs_streamflow", gauge_id + "_streamflow_qc", ".txt", "streamflow");
  const double area = camels_basin_area(root, gauge_id);
  TimeSeries s = read_forcing(forcing_path);
  TimeSeries flow = read_streamflow(flow_path, gauge_id);
  Variable q = flow.variable("qobs_cfs");
  convert_units(q, "mm/day", area);
  flow.variables["qobs"] = std::move(q);
  merge_into(s, flow);
  return s;
}

}  // namespace tessera::hydrology
