#include "tessera/hydrology/hydrology.hpp"

#include <gdal.h>
#include <netcdf.h>

namespace tessera::hydrology {

Status status() {
  return {false,
          "grids and series: GDAL / NetCDF readers, basin aggregation, discharge forecasting, ET "
          "correction, NSE / KGE; not yet available"};
}

std::string library_versions() {
  std::string nc = nc_inq_libvers();  // e.g. "4.9.0 of Jan  1 2023 $"
  return std::string("GDAL ") + GDALVersionInfo("RELEASE_NAME") + ", netCDF " +
         nc.substr(0, nc.find(' '));
}

}  // namespace tessera::hydrology
