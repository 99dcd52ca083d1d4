#pragma once
// The water budget of river basins, month by month: P - ET - R - dS/dt = residual. GRACE gives the
// storage change as a centred difference (S[t+1] - S[t-1]) / 2, which spans mid-month t-1 to
// mid-month t+1; the fluxes are filtered to the same span with weights 1/4, 1/2, 1/4, so the
// residual compares like with like (Landerer et al. 2010; Lehmann et al. 2022).
//
// A budget is described by a config (YAML or JSON; paths relative to it):
//
//   evapotranspiration: ET_GLEAM_monthly.csv   # the product the closure checks (and train-et
//   corrects) precipitation: P_GPCP_monthly.csv runoff: R_GRUN_monthly.csv storage_change:
//   TWS_GRACE_JPL_mascons_monthly_filtered.csv   # or storage: anomalies (mm) storage_uncertainty:
//   TWS_uncertainty_GRACE_JPL_mascons_monthly.csv   # 1-sigma of S (mm) basin_cells:
//   basin_cells_0p5deg.csv        # basin,lon,lat,cell_area_km2: location and area period:
//   [2002-05, 2014-12]                 # default: every month all terms cover uncertainty:
//   {precipitation: 0.1, runoff: 0.1, storage: 10}   # relative, relative, mm
//
// Each term is a basin table (et/basin_table.hpp) or a grid averaged over basins:
//   precipitation: {grid: P.nc, variable: precip, basins: cells.csv, scale: 1}
//   evapotranspiration: {grid: E.nc, basins: provinces.geojson, name_field: watprov}
// (`basins`: a basin-cell CSV or polygons; `scale` turns the grid's units into mm, e.g. 10 for
// GRACE's cm; `first_month` for rasters without a time axis.)
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tessera/hydrology/et/basin_cells.hpp"
#include "tessera/hydrology/et/basin_table.hpp"
#include "tessera/hydrology/et/months.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::hydrology::et {

// Where one budget term's basin means come from.
struct BasinSource {
  std::string table{};       // a basin table (absolute path), or
  std::string grid{};        // a monthly grid (absolute path) averaged over `basins`
  std::string variable{};    // grid: NetCDF variable (empty: the only one)
  std::string basins{};      // grid: basin-cell CSV or polygons (absolute)
  std::string name_field{};  // grid with polygons: the attribute naming each basin
  double scale = 1;          // grid: multiplies the values into mm (per month for fluxes)
  std::optional<MonthIndex> first_month{};  // grid: month of band 1 when it has no time axis
  bool empty() const { return table.empty() && grid.empty(); }
  std::string name() const;  // the file's stem, for reports ("ET_GLEAM_monthly")
};

struct BudgetConfig {
  std::string path{};  // the config file
  BasinSource evapotranspiration{}, precipitation{}, runoff{};
  BasinSource storage{};  // anomalies (differenced here) or, with storage_is_change, dS
  bool storage_is_change = false;
  BasinSource storage_uncertainty{};          // optional 1-sigma of the storage anomalies (mm)
  std::string basin_cells{};                  // optional: basin,lon,lat,cell_area_km2
  std::optional<MonthIndex> first{}, last{};  // the residual's months; default: all covered
  double precipitation_uncertainty = 0.1;     // relative 1-sigma of the filtered P
  double runoff_uncertainty = 0.1;            // relative 1-sigma of the filtered R
  double storage_uncertainty_mm = 10;         // 1-sigma of dS when no uncertainty source is given
};

// The budget keys of a config (kBudgetKeys); paths relative to `folder`. Throws "config <path>:
// <key>: ..." for a missing term, a bad month, or a period that ends before it starts. Other keys
// are the caller's to check (train-et's config adds its own).
inline const std::vector<std::string> kBudgetKeys = {
    "evapotranspiration",  "precipitation", "runoff", "storage",    "storage_change",
    "storage_uncertainty", "basin_cells",   "period", "uncertainty"};
BudgetConfig budget_config_from(const Settings& s, const std::string& folder);
// The source at `key`: a basin table's path, or {table: ...} / {grid: ..., basins: ...}.
BasinSource basin_source_from(const Settings& s, const std::string& key, const std::string& folder);
// A closure config file: budget_config_from, unknown keys refused.
BudgetConfig read_budget_config(const std::string& path);

// A term of every basin over `months` consecutive months from `first`, [basin][month], NaN when
// missing.
struct BasinMonths {
  MonthIndex first = 0;
  int64_t months = 0;
  std::vector<double> values{};
  double at(size_t basin, int64_t t) const { return values[basin * size_t(months) + size_t(t)]; }
  // centred_filter of months t, t + 1, t + 2 of the basin: month t + 1 of a table that has one
  // month either side of the residual's.
  double filtered(size_t basin, int64_t t) const;
};

struct WaterBudget {
  std::string product{};              // the ET product's name
  std::vector<std::string> basins{};  // those every term has
  MonthIndex first = 0;               // the residual's first month
  int64_t months = 0;
  // Monthly fluxes (mm/month) over first - 1 .. first + months: a month either side for the
  // filter. [basin][month + 1].
  BasinMonths evapotranspiration{}, precipitation{}, runoff{};
  // Storage change (mm/month) and the 1-sigma of P - R - dS, on the residual's months.
  BasinMonths storage_change{}, sigma{};
  // Per basin, from basin_cells: area-weighted centre (degrees) and area (km2); NaN without.
  std::vector<double> lat{}, lon{}, area_km2{};

  // The closure target for ET, P~ - R~ - dS (~: filtered), NaN where a term is missing.
  double target(size_t basin, int64_t t) const;
  // ET~ of the product; `et` replaces the product's monthly values ([basin][month + 1]).
  double filtered_et(size_t basin, int64_t t, const std::vector<double>* et = nullptr) const;
  // target - ET~: the budget residual.
  double residual(size_t basin, int64_t t, const std::vector<double>* et = nullptr) const;
};

// 1/4 x[t-1] + 1/2 x[t] + 1/4 x[t+1]: a flux on the span of a centred storage difference.
inline constexpr double kCentredFilter[3] = {0.25, 0.5, 0.25};
double centred_filter(double before, double now, double after);
// The same over months t, t + 1, t + 2 of `basin` in [basin][month] `values` of `months` a row.
double centred_filter(const std::vector<double>& values, int64_t months, size_t basin, int64_t t);
// (S[t+1] - S[t-1]) / 2
double centred_difference(double before, double after);

// Reads every term, keeps the basins all of them have, and differences the storage.
WaterBudget load_water_budget(const BudgetConfig& config);

// The table's rows reordered to `basins` (NaN for a basin it lacks), over `months` months from
// `first` (NaN outside the table).
BasinMonths align(const BasinTable& t, const std::vector<std::string>& basins, MonthIndex first,
                  int64_t months);

// The weighted cells of each basin of a grid source (its cell list or polygons) on a grid.
std::map<std::string, CellWeights> basins_on_grid(const BasinSource& source,
                                                  const std::vector<double>& lat,
                                                  const std::vector<double>& lon);

// The basin means of `source` (a table, or a grid averaged over its basins).
BasinTable read_basin_source(const BasinSource& source);

}  // namespace tessera::hydrology::et
