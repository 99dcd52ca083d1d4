// Monthly grids from GDAL rasters (GeoTIFF, ...): band b is the month first_month + b - 1, on the
// raster's own longitude / latitude cells, rows from the top as the file stores them.
#include <cmath>

#include "../grid_cover.hpp"
#include "../reader_util.hpp"
#include "grid_source.hpp"
#include "tessera/formats/gdal_session.hpp"

namespace tessera::hydrology::et::detail {

using formats::GdalSession;
using hydrology::detail::Dataset;
using hydrology::detail::fail;

namespace {

class RasterGrid : public MonthlyGridReader::Source {
 public:
  explicit RasterGrid(const MonthlyGridSource& src);
  std::vector<double> read(size_t t) const override;

 private:
  void read_axes();
  Dataset ds_;
};

RasterGrid::RasterGrid(const MonthlyGridSource& src) {
  const GdalSession gdal;
  path = src.path;
  ds_ = hydrology::detail::open_dataset(path, GDAL_OF_RASTER);
  if (!ds_) fail(path, "neither NetCDF nor a raster GDAL can read" + GdalSession::reason());
  if (!src.variable.empty())
    fail(path, "variable '" + src.variable + "' asked of a file that is not NetCDF");
  if (!src.first_month) fail(path, "a raster's bands need the month of band 1 (first_month)");
  if (ds_->GetRasterCount() == 0) fail(path, "no raster bands");
  read_axes();
  for (int b = 0; b < ds_->GetRasterCount(); ++b) months.push_back(*src.first_month + b);
  const char* u = ds_->GetRasterBand(1)->GetUnitType();
  units = u ? u : "";
}

// Cell centres from the geotransform; only longitude / latitude grids (or grids without a CRS
// whose extent fits them, as CF files often are) have cells the ET workflow can place.
void RasterGrid::read_axes() {
  double gt[6];
  if (ds_->GetGeoTransform(gt) != CE_None) fail(path, "no georeferencing (geotransform)");
  if (gt[2] != 0 || gt[4] != 0) fail(path, "rotated grids are not supported");
  const OGRSpatialReference* srs = ds_->GetSpatialRef();
  if (srs && !srs->IsEmpty() && !srs->IsGeographic())
    fail(path, "not a longitude / latitude grid (projected coordinates)");
  for (int c = 0; c < ds_->GetRasterXSize(); ++c) lon.push_back(gt[0] + (c + 0.5) * gt[1]);
  for (int r = 0; r < ds_->GetRasterYSize(); ++r) lat.push_back(gt[3] + (r + 0.5) * gt[5]);
  const auto out_of = [](const std::vector<double>& v, double limit) {
    return std::abs(v.front()) > limit || std::abs(v.back()) > limit;
  };
  if (out_of(lat, 90) || out_of(lon, 360))
    fail(path, "cell centres beyond longitude / latitude: not a geographic grid");
}

std::vector<double> RasterGrid::read(size_t t) const {
  const GdalSession gdal;
  GDALRasterBand& band = *ds_->GetRasterBand(int(t) + 1);
  std::vector<double> v =
      hydrology::detail::read_window(band, path, 0, 0, int(lon.size()), int(lat.size()));
  int has = 0;
  const double nodata = band.GetNoDataValue(&has);
  const bool float32 = band.GetRasterDataType() == GDT_Float32;
  const double scale = band.GetScale(), offset = band.GetOffset();
  for (double& x : v) {
    const bool missing = has && (x == nodata || (float32 && float(x) == float(nodata)));
    x = missing ? std::nan("") : x * scale + offset;
  }
  return v;
}

}  // namespace

std::unique_ptr<MonthlyGridReader::Source> open_raster_grid(const MonthlyGridSource& source) {
  return std::make_unique<RasterGrid>(source);
}

}  // namespace tessera::hydrology::et::detail
