// tessera::connectomics: neuron segmentation of EM volumes. The parts: labels.hpp (label
// volumes), affinities.hpp, affinity_model.hpp (the network), segmentation.hpp (watershed and
// agglomeration), metrics.hpp (VOI, adapted Rand), preview.hpp.
#pragma once

#include <string>

namespace tessera::connectomics {

// Versions of the domain's own libraries, e.g. "ITK 5.2.1, HDF5 1.10.8".
std::string library_versions();

}  // namespace tessera::connectomics
