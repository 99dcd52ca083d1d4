#pragma once
// Readers of station series and gridded forcings into TimeSeries, each on its records' own step:
// a day, or a step dividing one (hourly weather, a 5-minute gauge) when the records carry times
// of day; a record fills the step its time falls in, and depths per record ("mm", "m") of a
// sub-daily step become rates (mm/day). resample() puts series of different steps on one. Every
// reader throws std::runtime_error with one line naming the file and what is wrong (missing,
// unreadable, unknown variable, records further apart than a day or not dividing one, duplicate
// or out-of-order dates, non-numeric cells, a text table that looks cut short, sizes beyond what
// the file holds).
// Missing values (empty cells, NA / NaN, the file's own missing markers, _FillValue) become NaN.
#include <map>
#include <string>
#include <vector>

#include "tessera/hydrology/series.hpp"

namespace tessera::hydrology {

// A generic CSV (or semicolon / tab separated) table with a header row. A last line without a
// line break whose last value is emptier or has fewer decimals than the one above is refused as
// cut short.
struct CsvMapping {
  // ISO dates; empty: the one column named like a date (date, Date, time, datetime, timestamp,
  // ...; two such are refused as ambiguous), else year/month/day columns
  std::string date_column{};
  std::string year_column = "year", month_column = "month", day_column = "day";
  // variable name -> column header; empty: every other column under its own header
  std::map<std::string, std::string> columns{};
  std::map<std::string, std::string> units{};  // variable name -> units
  std::vector<double> missing_values{};        // numbers meaning "missing" (e.g. -999)
  char delimiter = 0;                          // 0: detected from the header (, ; or tab)
};
TimeSeries read_csv_series(const std::string& path, const CsvMapping& mapping = {});

// CAMELS-US layout under `root`:
//   basin_mean_forcing/<forcing>/<id>_lump_*forcing_leap.txt  (daymet, maurer, nldas)
//   usgs_streamflow/<id>_streamflow_qc.txt                    (cfs, -999 missing)
//   camels_attributes_v2.0/camels_topo.txt                    (area_gages2, km2)
// Variables: the forcing file's columns under their short names (prcp, srad, swe, tmax, tmin,
// vp, dayl) with their units, `qobs` in mm/day (converted with the basin area) and
// `qobs_cfs` as recorded. Streamflow may cover fewer days than the forcing (NaN elsewhere).
TimeSeries read_camels_basin(const std::string& root, const std::string& gauge_id,
                             const std::string& forcing = "daymet");
// area_gages2 of the basin, km2.
double camels_basin_area(const std::string& root, const std::string& gauge_id);

// A CF NetCDF station series (featureType timeSeries): variables of dimension (time) or
// (station, time) / (time, station), `station` picking one. Time from its "<unit> since <date>"
// units (days, hours, minutes, seconds; gregorian / standard / proleptic_gregorian calendars),
// _FillValue and missing_value -> NaN, scale_factor / add_offset applied, on the records' own
// step (see the series' steps above). Empty `variables`: every variable on the time dimension.
// `missing_values`: numbers that mean missing beyond the attributes, compared before scaling
// (Raven's files, the Salmon River one included, mark missing discharge -1.2345 while declaring
// _FillValue -9999). `units`: variable -> units, in place of the file's attributes (or for want of
// them).
TimeSeries read_netcdf_series(const std::string& path,
                              const std::vector<std::string>& variables = {}, int64_t station = 0,
                              const std::vector<double>& missing_values = {},
                              const std::map<std::string, std::string>& units = {});

// A gridded forcing averaged over a basin, weighted by the area of each cell inside it.
struct GridSource {
  std::string path;          // NetCDF (CF, time as bands) or any GDAL raster (GeoTIFF, ...)
  std::string variable{};    // NetCDF variable; empty for single-variable rasters
  std::string first_date{};  // rasters without a time axis: date of band 1 (bands are days)
};
struct BasinAverage {
  std::vector<Day> days;       // one per band
  std::vector<double> values;  // NaN when no cell inside the basin has data that day
  std::string units;
  double basin_area_km2 = 0;  // area of the cells' parts inside the basin
};
// `basin`: a raster mask on the same grid (non-zero = inside) or a vector file of polygons
// (Shapefile, GeoJSON, GeoPackage; all features together), reprojected to the grid's CRS.
// Polygon cover is the fraction of each cell inside (counted on a 5 x 5 sub-grid); cell areas
// are ellipsoidal-free spherical areas for geographic grids and pixel areas for projected ones.
BasinAverage basin_average(const GridSource& grid, const std::string& basin);

// The weight (km2 of the cell inside the basin) of every cell of the grid, row-major from the
// top row, for `basin` as above: what basin_average weights by.
std::vector<double> basin_cell_weights(const GridSource& grid, const std::string& basin);

// Daily series from a basin average; throws when its steps are not consecutive days.
TimeSeries to_daily_series(const BasinAverage& average, const std::string& name);

}  // namespace tessera::hydrology
