#include "tessera/connectomics/connectomics.hpp"

#include <hdf5.h>
#include <itkImage.h>
#include <itkVersion.h>

namespace tessera::connectomics {

std::string library_versions() {
  auto volume = itk::Image<float, 3>::New();  // one real ITK call: proves the link
  volume->Initialize();
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return std::string("ITK ") + itk::Version::GetITKVersion() + ", HDF5 " + std::to_string(major) +
         "." + std::to_string(minor) + "." + std::to_string(release);
}

}  // namespace tessera::connectomics
