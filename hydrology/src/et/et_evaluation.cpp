#include "tessera/hydrology/et/et_evaluation.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "tessera/formats/csv_table.hpp"

namespace tessera::hydrology::et {

namespace {

// Sites are named by their coordinates in both files: the key joins them.
std::string site_key(const std::string& lon, const std::string& lat) {
  return std::to_string(std::stod(lon)) + "," + std::to_string(std::stod(lat));
}

int required_column(const formats::CsvTable& t, std::initializer_list<std::string_view> names) {
  const int c = t.column(names);
  if (c < 0) t.fail(t.header_line, "no column " + std::string(*names.begin()));
  return c;
}

double number(const formats::CsvTable& t, const formats::CsvRow& row, int column) {
  try {
    return std::stod(row.cells[size_t(column)]);
  } catch (const std::exception&) {
    t.fail(row.line, "'" + row.cells[size_t(column)] + "' is not a number");
  }
}

}  // namespace

Towers read_towers(const TowerSources& sources) {
  Towers out;
  if (sources.series.empty()) return out;
  const formats::CsvTable sites = formats::read_csv_table(sources.sites);
  const int slon = required_column(sites, {"site_lon", "lon"});
  const int slat = required_column(sites, {"site_lat", "lat"});
  const int sbasin = required_column(sites, {"basins", "basin"});
  std::map<std::string, std::string> basin_of;
  for (const formats::CsvRow& r : sites.rows) {
    number(sites, r, slon), number(sites, r, slat);
    basin_of[site_key(r.cells[size_t(slon)], r.cells[size_t(slat)])] = r.cells[size_t(sbasin)];
  }
  const formats::CsvTable series = formats::read_csv_table(sources.series);
  const int lon = required_column(series, {"lon"}), lat = required_column(series, {"lat"});
  const int date = required_column(series, {"date"}), value = required_column(series, {"value"});
  std::map<std::string, bool> seen;
  for (const formats::CsvRow& r : series.rows) {
    number(series, r, lon), number(series, r, lat);
    const auto it = basin_of.find(site_key(r.cells[size_t(lon)], r.cells[size_t(lat)]));
    if (it == basin_of.end() || r.cells[size_t(value)].empty()) continue;
    const double v = number(series, r, value);
    if (!std::isfinite(v)) continue;
    MonthIndex m = 0;
    try {
      m = parse_month(r.cells[size_t(date)]);
    } catch (const std::invalid_argument& e) {
      series.fail(r.line, e.what());
    }
    out.by_basin[it->second].emplace_back(m, v);
    seen[it->first] = true;
  }
  out.sites = int64_t(seen.size());
  return out;
}

ClosureScores score_closure(const std::string& method, const WaterBudget& w,
                            const std::vector<double>& corrected, const std::vector<size_t>& basins,
                            const Towers& towers) {
  ClosureScores s{.method = method};
  double before2 = 0, after2 = 0, change = 0, total = 0, tower_before2 = 0, tower_after2 = 0;
  int64_t improved = 0;
  std::map<std::string, bool> tower_basins;
  for (size_t b : basins) {
    double basin_before2 = 0, basin_after2 = 0;
    int64_t n = 0;
    for (int64_t t = 0; t < w.months; ++t) {
      const double before = w.residual(b, t), after = w.residual(b, t, &corrected);
      if (!std::isfinite(before) || !std::isfinite(after) || !std::isfinite(w.sigma.at(b, t)))
        continue;
      basin_before2 += before * before;
      basin_after2 += after * after;
      ++n;
    }
    for (int64_t k = 1; k <= w.months; ++k) {  // the residual's own months
      const double e = w.evapotranspiration.at(b, k);
      const double c = corrected[b * size_t(w.months + 2) + size_t(k)];
      if (std::isfinite(e) && std::isfinite(c)) change += std::abs(c - e), total += e;
    }
    const auto it = towers.by_basin.find(w.basins[b]);
    if (it != towers.by_basin.end())
      for (const auto& [month, tower] : it->second) {
        const int64_t k = month - (w.first - 1);
        if (k < 1 || k > w.months) continue;
        const double e = w.evapotranspiration.at(b, k);
        const double c = corrected[b * size_t(w.months + 2) + size_t(k)];
        if (!std::isfinite(e) || !std::isfinite(c)) continue;
        tower_before2 += (e - tower) * (e - tower);
        tower_after2 += (c - tower) * (c - tower);
        ++s.tower_months;
        tower_basins[w.basins[b]] = true;
      }
    if (n == 0) continue;
    ++s.basins;
    s.basin_months += n;
    before2 += basin_before2;
    after2 += basin_after2;
    improved += basin_after2 < basin_before2;
  }
  if (s.basin_months > 0) {
    s.rms_before = std::sqrt(before2 / double(s.basin_months));
    s.rms_after = std::sqrt(after2 / double(s.basin_months));
    s.reduction = 1 - s.rms_after / s.rms_before;
    s.share_improved = double(improved) / double(s.basins);
  }
  s.mean_abs_change = total > 0 ? change / total : 0;
  s.tower_sites = int64_t(tower_basins.size());
  if (s.tower_months > 0) {
    s.tower_rmse_before = std::sqrt(tower_before2 / double(s.tower_months));
    s.tower_rmse_after = std::sqrt(tower_after2 / double(s.tower_months));
  }
  return s;
}

nlohmann::json scores_json(const ClosureScores& s) {
  return {{"method", s.method},
          {"basins", s.basins},
          {"basin_months", s.basin_months},
          {"residual_rms_before_mm", s.rms_before},
          {"residual_rms_after_mm", s.rms_after},
          {"residual_reduction", s.reduction},
          {"share_of_basins_improved", s.share_improved},
          {"mean_abs_change_of_et", s.mean_abs_change},
          {"tower_basins", s.tower_sites},
          {"tower_months", s.tower_months},
          {"tower_rmse_before_mm", s.tower_rmse_before},
          {"tower_rmse_after_mm", s.tower_rmse_after}};
}

std::string scores_markdown(const std::vector<ClosureScores>& rows) {
  std::ostringstream o;
  o << "| method | basins | residual RMS before (mm/month) | after | reduction | basins improved "
       "| mean abs change of ET | tower RMSE before | after (basins, months) |\n"
       "|---|---|---|---|---|---|---|---|---|\n";
  char line[512];
  for (const ClosureScores& s : rows) {
    std::snprintf(
        line, sizeof line,
        "| %s | %lld | %.2f | %.2f | %.1f%% | %.0f%% | %.1f%% | %.2f | %.2f (%lld, %lld) |\n",
        s.method.c_str(), static_cast<long long>(s.basins), s.rms_before, s.rms_after,
        100 * s.reduction, 100 * s.share_improved, 100 * s.mean_abs_change, s.tower_rmse_before,
        s.tower_rmse_after, static_cast<long long>(s.tower_sites),
        static_cast<long long>(s.tower_months));
    o << line;
  }
  return o.str();
}

}  // namespace tessera::hydrology::et
