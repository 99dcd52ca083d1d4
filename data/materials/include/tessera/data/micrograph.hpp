#pragma once
// A synthetic steel micrograph with known phases, in the manner of the UHCS set: grains of a
// dark ferrite matrix, some filled with bright spheroidite particles, some with parallel
// Widmanstaetten needles, and a bright cementite network along some grain boundaries; texture,
// blur and noise over it. The region mask labels every pixel by the phase field it lies in (a
// spheroidite grain is spheroidite, particles and matrix between them alike), as UHCS's
// labels_region do.
#include <cstdint>

#include <opencv2/core.hpp>

namespace tessera::data {

enum Phase : uint8_t { matrix = 0, network = 1, spheroidite = 2, widmanstatten = 3 };
inline constexpr int kPhases = 4;

struct MicrographOptions {
  int width = 320, height = 240;
  int grains = 10;
  double network_share = 0.6;      // share of grain boundaries with network
  double spheroidite_share = 0.4;  // share of grains filled with particles
  double widmanstatten_share = 0.2;
  double particle_size = 1;  // the particles' radii, 1 to 3 px times it (anneals coarsen them)
  double noise = 0.04;       // standard deviation of the pixel noise (intensities 0..1)
  uint64_t seed = 0;
};

struct SyntheticMicrograph {
  cv::Mat image;   // CV_8UC1
  cv::Mat labels;  // CV_8UC1, a Phase per pixel
};

SyntheticMicrograph make_micrograph(const MicrographOptions& o);

}  // namespace tessera::data
