#pragma once
// Synthetic segmentation task: bright discs (2D) or balls (3D) of random size and position on a
// noisy background. The mask marks the objects, so a segmentation network can learn it.
#include <cstdint>

#include "tessera/tensor/tensor.hpp"

namespace tessera::data {

struct BlobsOptions {
  int dims = 2;
  int64_t batch = 4;
  int64_t size = 32;   // spatial edge
  int objects = 4;     // per image
  float noise = 0.3f;  // Gaussian noise standard deviation; objects have contrast 1
  uint64_t seed = 0;
};

struct Blobs {
  Tensor image;  // [N,1,*S]
  Tensor mask;   // [N,1,*S], 0 or 1
};

Blobs make_blobs(const BlobsOptions& o);

}  // namespace tessera::data
