#include "tessera/hydrology/et/water_budget.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>

#include "tessera/hydrology/config.hpp"
#include "tessera/hydrology/et/basin_cells.hpp"
#include "tessera/hydrology/et/monthly_grid.hpp"

namespace tessera::hydrology::et {

namespace fs = std::filesystem;

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

MonthIndex month_setting(const Settings& s, const std::string& key, const std::string& text) {
  try {
    return parse_month(text);
  } catch (const std::invalid_argument& e) {
    s.fail(key, e.what());
  }
}

void read_uncertainty(const Settings& s, BudgetConfig& c) {
  const Settings u = s.child("uncertainty");
  u.only({"precipitation", "runoff", "storage"});
  u.read("precipitation", c.precipitation_uncertainty);
  u.read("runoff", c.runoff_uncertainty);
  u.read("storage", c.storage_uncertainty_mm);
  for (const auto& [key, v] :
       {std::pair{"precipitation", c.precipitation_uncertainty},
        std::pair{"runoff", c.runoff_uncertainty}, std::pair{"storage", c.storage_uncertainty_mm}})
    if (!(v >= 0) || !std::isfinite(v)) u.fail(key, "must be a number >= 0");
}

void read_period(const Settings& s, BudgetConfig& c) {
  if (!s.has("period")) return;
  const auto p = s.names("period");
  if (p.size() != 2) s.fail("period", "must be [first month, last month]");
  c.first = month_setting(s, "period", p[0]);
  c.last = month_setting(s, "period", p[1]);
  if (*c.last < *c.first) s.fail("period", "ends before it starts");
}

std::vector<std::string> common_basins(const std::vector<const BasinTable*>& tables) {
  std::vector<std::string> out;
  for (const std::string& b : tables[0]->basins)
    if (std::all_of(tables.begin(), tables.end(),
                    [&](const BasinTable* t) { return t->index(b) >= 0; }))
      out.push_back(b);
  return out;
}

void locate_basins(const std::string& cells_csv, WaterBudget& w) {
  const size_t n = w.basins.size();
  w.lat.assign(n, kMissing);
  w.lon.assign(n, kMissing);
  w.area_km2.assign(n, kMissing);
  if (cells_csv.empty()) return;
  const auto cells = read_basin_cells(cells_csv);
  for (size_t b = 0; b < n; ++b) {
    const auto it = cells.find(w.basins[b]);
    if (it == cells.end()) continue;
    double area = 0, lat = 0, x = 0, y = 0;  // longitudes averaged as angles: basins cross 180
    for (const BasinCell& c : it->second) {
      area += c.area_km2;
      lat += c.area_km2 * c.lat;
      x += c.area_km2 * std::cos(c.lon * M_PI / 180);
      y += c.area_km2 * std::sin(c.lon * M_PI / 180);
    }
    if (area <= 0) continue;
    w.area_km2[b] = area;
    w.lat[b] = lat / area;
    w.lon[b] = std::atan2(y, x) * 180 / M_PI;
  }
}

}  // namespace

BasinMonths align(const BasinTable& t, const std::vector<std::string>& basins, MonthIndex first,
                  int64_t months) {
  BasinMonths out{.first = first, .months = months};
  out.values.assign(basins.size() * size_t(months), kMissing);
  for (size_t b = 0; b < basins.size(); ++b) {
    const int64_t row = t.index(basins[b]);
    if (row < 0) continue;
    for (int64_t m = 0; m < months; ++m)
      out.values[b * size_t(months) + size_t(m)] = t.at(size_t(row), first + m);
  }
  return out;
}

BasinSource basin_source_from(const Settings& s, const std::string& key,
                              const std::string& folder) {
  BasinSource b;
  if (s.json().at(key).is_string()) {
    b.table = resolve(folder, s.require<std::string>(key));
    return b;
  }
  const Settings g = s.child(key);
  g.only({"table", "grid", "variable", "basins", "name_field", "scale", "first_month"});
  if (g.has("table")) {
    b.table = resolve(folder, g.require<std::string>("table"));
    return b;
  }
  b.grid = resolve(folder, g.require<std::string>("grid"));
  if (g.has("basins")) b.basins = resolve(folder, g.require<std::string>("basins"));
  g.read("variable", b.variable);
  g.read("name_field", b.name_field);
  g.read("scale", b.scale);
  if (!std::isfinite(b.scale) || b.scale == 0) g.fail("scale", "must be a non-zero number");
  if (g.has("first_month"))
    b.first_month = month_setting(g, "first_month", g.require<std::string>("first_month"));
  const std::string ext = fs::path(b.basins).extension().string();
  if (!b.basins.empty() && ext != ".csv" && b.name_field.empty())
    g.fail("name_field", "missing: polygons need the attribute that names each basin");
  return b;
}

std::string BasinSource::name() const {
  return fs::path(table.empty() ? grid : table).stem().string();
}

BudgetConfig budget_config_from(const Settings& s, const std::string& folder) {
  BudgetConfig c;
  for (const char* key : {"evapotranspiration", "precipitation", "runoff"})
    if (!s.has(key)) s.fail(key, "missing");
  c.evapotranspiration = basin_source_from(s, "evapotranspiration", folder);
  c.precipitation = basin_source_from(s, "precipitation", folder);
  c.runoff = basin_source_from(s, "runoff", folder);
  if (s.has("storage") == s.has("storage_change"))
    s.fail("storage", "give one of storage (anomalies) and storage_change");
  c.storage_is_change = s.has("storage_change");
  c.storage = basin_source_from(s, c.storage_is_change ? "storage_change" : "storage", folder);
  if (s.has("storage_uncertainty"))
    c.storage_uncertainty = basin_source_from(s, "storage_uncertainty", folder);
  if (s.has("basin_cells")) c.basin_cells = resolve(folder, s.require<std::string>("basin_cells"));
  read_period(s, c);
  read_uncertainty(s, c);
  return c;
}

BudgetConfig read_budget_config(const std::string& path) {
  const nlohmann::json j = read_config_document(path);
  const Settings s(j, "config " + path);
  s.only(kBudgetKeys);
  BudgetConfig c = budget_config_from(s, fs::path(path).parent_path().string());
  c.path = path;
  return c;
}

std::map<std::string, CellWeights> basins_on_grid(const BasinSource& source,
                                                  const std::vector<double>& lat,
                                                  const std::vector<double>& lon) {
  if (fs::path(source.basins).extension() != ".csv")
    return polygon_weights(lat, lon, source.basins, source.name_field);
  std::map<std::string, CellWeights> out;
  for (const auto& [name, cells] : read_basin_cells(source.basins))
    out[name] = cell_list_weights(lat, lon, cells);
  return out;
}

BasinTable read_basin_source(const BasinSource& source) {
  if (!source.table.empty()) return read_basin_table(source.table);
  if (source.basins.empty())
    throw std::runtime_error(source.grid +
                             ": a grid budget term needs `basins` (a cell list or "
                             "polygons) to be averaged over");
  const MonthlyGridReader grid(
      {.path = source.grid, .variable = source.variable, .first_month = source.first_month});
  std::map<std::string, CellWeights> basins = basins_on_grid(source, grid.lat(), grid.lon());
  BasinTable t;
  t.path = source.grid;
  const std::vector<MonthIndex>& months = grid.months();
  t.first = months.front();
  t.months = months.back() - months.front() + 1;
  // A basin the grid only partly covers would be averaged over the part it covers: not the
  // basin's mean, so it is left out rather than wrong.
  std::erase_if(basins, [](const auto& b) {
    return b.second.cells.empty() ||
           b.second.outside_km2 > 0.05 * (b.second.area_km2 + b.second.outside_km2);
  });
  for (const auto& [name, w] : basins) t.basins.push_back(name);
  t.values.assign(t.basins.size() * size_t(t.months), kMissing);
  for (size_t m = 0; m < months.size(); ++m) {  // a month at a time: bounded memory
    const std::vector<double> frame = grid.read(m);
    size_t b = 0;
    for (const auto& [name, w] : basins)
      t.values[b++ * size_t(t.months) + size_t(months[m] - t.first)] =
          source.scale * weighted_mean(frame, w);
  }
  return t;
}

double centred_filter(double before, double now, double after) {
  return kCentredFilter[0] * before + kCentredFilter[1] * now + kCentredFilter[2] * after;
}

double centred_difference(double before, double after) {
  return 0.5 * (after - before);
}

double centred_filter(const std::vector<double>& values, int64_t months, size_t basin, int64_t t) {
  const size_t row = basin * size_t(months) + size_t(t);
  return centred_filter(values[row], values[row + 1], values[row + 2]);
}

double BasinMonths::filtered(size_t basin, int64_t t) const {
  return centred_filter(values, months, basin, t);
}

double WaterBudget::filtered_et(size_t basin, int64_t t, const std::vector<double>* et) const {
  return et ? centred_filter(*et, months + 2, basin, t) : evapotranspiration.filtered(basin, t);
}

double WaterBudget::target(size_t basin, int64_t t) const {
  return precipitation.filtered(basin, t) - runoff.filtered(basin, t) - storage_change.at(basin, t);
}

double WaterBudget::residual(size_t basin, int64_t t, const std::vector<double>* et) const {
  return target(basin, t) - filtered_et(basin, t, et);
}

namespace {

// The months every term covers, less one at each end for the filter (and the difference).
std::pair<MonthIndex, MonthIndex> covered_months(const std::vector<const BasinTable*>& terms,
                                                 bool storage_is_change) {
  MonthIndex first = terms[0]->first, last = terms[0]->first + terms[0]->months - 1;
  for (size_t i = 0; i < terms.size(); ++i) {
    const bool storage = i == 3;
    const int64_t margin = storage && storage_is_change ? 0 : 1;
    first = std::max(first, terms[i]->first + margin);
    last = std::min(last, terms[i]->first + terms[i]->months - 1 - margin);
  }
  return {first, last};
}

BasinMonths storage_change(const BasinTable& s, bool is_change,
                           const std::vector<std::string>& basins, MonthIndex first,
                           int64_t months) {
  if (is_change) return align(s, basins, first, months);
  const BasinMonths wide = align(s, basins, first - 1, months + 2);
  BasinMonths out{.first = first, .months = months};
  for (size_t b = 0; b < basins.size(); ++b)
    for (int64_t t = 0; t < months; ++t)
      out.values.push_back(centred_difference(wide.at(b, t), wide.at(b, t + 2)));
  return out;
}

// 1-sigma of P~ - R~ - dS: relative errors of the filtered fluxes, GRACE's own for dS (the two
// anomalies of a centred difference are taken as independent).
BasinMonths budget_sigma(const BudgetConfig& c, const WaterBudget& w) {
  BasinMonths u;
  const bool has_u = !c.storage_uncertainty.empty();
  if (has_u)
    u = align(read_basin_source(c.storage_uncertainty), w.basins, w.first - 1, w.months + 2);
  BasinMonths out{.first = w.first, .months = w.months};
  for (size_t b = 0; b < w.basins.size(); ++b)
    for (int64_t t = 0; t < w.months; ++t) {
      const double sp = c.precipitation_uncertainty * w.precipitation.filtered(b, t);
      const double sr = c.runoff_uncertainty * w.runoff.filtered(b, t);
      const double ss =
          has_u ? 0.5 * std::hypot(u.at(b, t), u.at(b, t + 2)) : c.storage_uncertainty_mm;
      out.values.push_back(std::sqrt(sp * sp + sr * sr + ss * ss));
    }
  return out;
}

// Rows `keep` of a [basin][month] table.
BasinMonths rows_of(const BasinMonths& m, const std::vector<size_t>& keep) {
  BasinMonths out{.first = m.first, .months = m.months};
  for (size_t b : keep)
    for (int64_t t = 0; t < m.months; ++t) out.values.push_back(m.at(b, t));
  return out;
}

// Basins with no month where every term is known say nothing about closure: dropped, so counts
// and folds are of basins that can be checked.
WaterBudget without_unclosed_basins(WaterBudget w) {
  std::vector<size_t> keep;
  for (size_t b = 0; b < w.basins.size(); ++b)
    for (int64_t t = 0; t < w.months; ++t)
      if (std::isfinite(w.residual(b, t)) && std::isfinite(w.sigma.at(b, t))) {
        keep.push_back(b);
        break;
      }
  if (keep.empty())
    throw std::runtime_error("no basin has a month with every budget term: nothing to close");
  if (keep.size() == w.basins.size()) return w;
  WaterBudget out{.product = w.product, .first = w.first, .months = w.months};
  for (size_t b : keep) {
    out.basins.push_back(w.basins[b]);
    out.lat.push_back(w.lat[b]), out.lon.push_back(w.lon[b]), out.area_km2.push_back(w.area_km2[b]);
  }
  out.evapotranspiration = rows_of(w.evapotranspiration, keep);
  out.precipitation = rows_of(w.precipitation, keep);
  out.runoff = rows_of(w.runoff, keep);
  out.storage_change = rows_of(w.storage_change, keep);
  out.sigma = rows_of(w.sigma, keep);
  return out;
}

}  // namespace

WaterBudget load_water_budget(const BudgetConfig& c) {
  const BasinTable et = read_basin_source(c.evapotranspiration);
  const BasinTable p = read_basin_source(c.precipitation);
  const BasinTable r = read_basin_source(c.runoff);
  const BasinTable s = read_basin_source(c.storage);
  const std::vector<const BasinTable*> terms = {&et, &p, &r, &s};
  auto [first, last] = covered_months(terms, c.storage_is_change);
  if (c.first) first = std::max(first, *c.first);
  if (c.last) last = std::min(last, *c.last);
  if (last < first)
    throw std::runtime_error("the budget terms cover no common month" +
                             std::string(c.first ? " inside the period" : "") + " (" + et.path +
                             ", " + p.path + ", " + r.path + ", " + s.path + ")");
  WaterBudget w{.product = c.evapotranspiration.name(), .basins = common_basins(terms)};
  if (w.basins.empty())
    throw std::runtime_error("no basin is in every budget term: check the basin names of " +
                             et.path + ", " + p.path + ", " + r.path + " and " + s.path);
  w.first = first;
  w.months = last - first + 1;
  w.evapotranspiration = align(et, w.basins, first - 1, w.months + 2);
  w.precipitation = align(p, w.basins, first - 1, w.months + 2);
  w.runoff = align(r, w.basins, first - 1, w.months + 2);
  w.storage_change = storage_change(s, c.storage_is_change, w.basins, first, w.months);
  w.sigma = budget_sigma(c, w);
  locate_basins(c.basin_cells, w);
  return without_unclosed_basins(std::move(w));
}

}  // namespace tessera::hydrology::et
