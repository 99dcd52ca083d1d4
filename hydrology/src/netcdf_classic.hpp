#pragma once
// The header of a classic NetCDF file (CDF-1, CDF-2 or CDF-5), walked before the netCDF library
// opens it: the library trusts the header's counts (a flipped attribute count keeps it busy for
// minutes) and reads past the end of a cut file as if the data were zeros.
#include <cstdint>
#include <string>

namespace tessera::hydrology::detail {

// Throws std::runtime_error "<path>: ..." when the header claims more than the file holds (more
// names, attributes or dimensions than bytes, a variable's data beyond the end of the file: the
// file was cut short). Files that are not classic NetCDF (NetCDF-4 is HDF5, whose library checks
// its own extent) are left alone.
void require_whole_classic_netcdf(const std::string& path);

}  // namespace tessera::hydrology::detail
