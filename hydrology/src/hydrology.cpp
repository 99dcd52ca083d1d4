#include "tessera/hydrology/hydrology.hpp"

#include <gdal.h>
#include <netcdf.h>

namespace tessera::hydrology {

std::string library_versions() {
  std::string nc = nc_inq_libvers();  // e.g. "4.9.0 of Jan  1 2023 $"
  return std::string("GDAL ") + GDALVersionInfo("RELEASE_NAME") + ", netCDF " +
         nc.substr(0, nc.find(' '));
}

}  // namespace tessera::hydrology
